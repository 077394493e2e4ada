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
