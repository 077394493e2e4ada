//! Reading one HTTP/1.1 request off a connection, for the dev host and the counting proxy.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// A request as read: header names lower-cased.
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Reads one request; `Ok(None)` when the peer closed the connection first. A body longer than
/// `max_body` is not read: the error's kind is `InvalidData`, so the caller can answer 413.
pub async fn read_request<R: AsyncBufRead + Unpin>(conn: &mut R, max_body: usize) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if conn.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("GET").to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if conn.read_line(&mut header).await? == 0 {
            break;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let length: usize = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    if length > max_body {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("request body of {length} bytes is over {max_body}")));
    }
    let mut body = vec![0u8; length];
    conn.read_exact(&mut body).await?;
    Ok(Some(Request { method, target, headers, body }))
}
