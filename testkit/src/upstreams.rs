//! Misbehaving upstreams for failure tests: one that accepts and never answers,
//! one that answers garbage. (Unreachable needs no server: a closed port.)

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;

/// Accepts connections and holds them open without a byte of answer. Returns its URL.
pub fn silent() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}", listener.local_addr()?);
    thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    Ok(url)
}

/// Answers every request with HTTP 200 and `body` (e.g. HTML from a login page). Returns its URL.
pub fn answering(body: &'static str, content_type: &'static str) -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}", listener.local_addr()?);
    thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 65536];
            let _ = conn.read(&mut buf);
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Ok(url)
}

/// A port on 127.0.0.1 with nothing listening.
pub fn closed_port_url() -> std::io::Result<String> {
    Ok(format!("http://127.0.0.1:{}", crate::prometheus::free_port()?))
}

/// An HTTP/1.1 proxy in front of an upstream that counts the requests passing through,
/// so "how many queries did the upstream see" is measured on the wire, not taken from the plugin's word.
pub struct CountingProxy {
    pub url: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl CountingProxy {
    pub async fn start(target: &str) -> std::io::Result<CountingProxy> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let client = reqwest::Client::builder().build().map_err(std::io::Error::other)?;
        let (target, log) = (target.trim_end_matches('/').to_string(), seen.clone());
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let (client, target, log) = (client.clone(), target.clone(), log.clone());
                tokio::spawn(async move {
                    let _ = serve(conn, &client, &target, &log).await;
                });
            }
        });
        Ok(CountingProxy { url, seen })
    }

    /// Requests seen so far: method, path with query, and body.
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn reset(&self) {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

async fn serve(conn: tokio::net::TcpStream, client: &reqwest::Client, target: &str, log: &std::sync::Mutex<Vec<String>>) -> std::io::Result<()> {
    use tokio::io::BufReader;
    let mut conn = BufReader::new(conn);
    while let Some(req) = crate::http::read_request(&mut conn, 8 << 20).await? {
        log.lock().unwrap_or_else(|p| p.into_inner()).push(format!("{} {} {}", req.method, req.target, String::from_utf8_lossy(&req.body)));
        let mut forward = client.request(req.method.parse().unwrap_or(reqwest::Method::GET), format!("{target}{}", req.target));
        for name in ["content-type", "authorization", "x-scope-orgid"] {
            if let Some(v) = req.header(name) {
                forward = forward.header(name, v);
            }
        }
        let forward = forward.body(req.body);
        let (status, answer) = match forward.send().await {
            Ok(r) => (r.status().as_u16(), r.bytes().await.map(|b| b.to_vec()).unwrap_or_default()),
            Err(e) => (502, e.to_string().into_bytes()),
        };
        crate::http::write_response(conn.get_mut(), status, &[("Content-Type", "application/json")], &answer, false).await?;
    }
    Ok(())
}
