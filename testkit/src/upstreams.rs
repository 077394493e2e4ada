//! Misbehaving upstreams for failure tests: one that accepts and never answers, one that answers
//! garbage, one scripted per request (huge answers, redirects, echoes, lies), and a counting proxy
//! in front of a real one. (Unreachable needs no server: a closed port.)

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
    Ok(format!("http://127.0.0.1:{}", crate::daemon::free_port()?))
}

/// An HTTP/1.1 proxy in front of an upstream that counts the requests passing through,
/// so "how many queries did the upstream see" is measured on the wire, not taken from the plugin's word.
pub struct CountingProxy {
    pub url: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// When each request (by its index in `seen`) arrived and was answered, for a bench's timeline.
    times: Timeline,
}

type Timeline = std::sync::Arc<std::sync::Mutex<Vec<(usize, std::time::Instant, std::time::Instant)>>>;

impl CountingProxy {
    pub async fn start(target: &str) -> std::io::Result<CountingProxy> {
        Self::start_requiring(target, None).await
    }

    /// A proxy that, as Mimir does, answers `401 no org id` to a request without header `require`
    /// (e.g. `x-scope-orgid`), so a test proves the plugin sends the tenant on every call.
    pub async fn start_requiring(target: &str, require: Option<&'static str>) -> std::io::Result<CountingProxy> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let times: Timeline = Default::default();
        let client = reqwest::Client::builder().build().map_err(std::io::Error::other)?;
        let (target, log, timed) = (target.trim_end_matches('/').to_string(), seen.clone(), times.clone());
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let _ = conn.set_nodelay(true);
                let (client, target, log, timed) = (client.clone(), target.clone(), log.clone(), timed.clone());
                tokio::spawn(async move {
                    let _ = serve(conn, &client, &target, &log, &timed, require).await;
                });
            }
        });
        Ok(CountingProxy { url, seen, times })
    }

    /// Requests seen so far: method, path with query, and body.
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn reset(&self) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.clear();
        self.times.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Per request answered since the last reset, in `requests()` order: when it arrived and when
    /// its answer was written.
    pub fn timeline(&self) -> Vec<(std::time::Instant, std::time::Instant)> {
        let mut times = self.times.lock().unwrap_or_else(|p| p.into_inner()).clone();
        times.sort_by_key(|(i, _, _)| *i);
        times.into_iter().map(|(_, a, b)| (a, b)).collect()
    }
}

async fn serve(
    conn: tokio::net::TcpStream,
    client: &reqwest::Client,
    target: &str,
    log: &std::sync::Mutex<Vec<String>>,
    timed: &std::sync::Mutex<Vec<(usize, std::time::Instant, std::time::Instant)>>,
    require: Option<&'static str>,
) -> std::io::Result<()> {
    use tokio::io::BufReader;
    let mut conn = BufReader::new(conn);
    while let Some(req) = crate::http::read_request(&mut conn, 8 << 20).await? {
        let arrived = std::time::Instant::now();
        let index = {
            let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
            log.push(format!("{} {} {}", req.method, req.target, String::from_utf8_lossy(&req.body)));
            log.len() - 1
        };
        if let Some(header) = require.filter(|h| req.header(h).is_none_or(str::is_empty)) {
            let body = format!("no org id ({header} missing)");
            crate::http::write_response(conn.get_mut(), 401, &[("Content-Type", "text/plain")], body.as_bytes(), false)
                .await?;
            continue;
        }
        let mut forward =
            client.request(req.method.parse().unwrap_or(reqwest::Method::GET), format!("{target}{}", req.target));
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
        crate::http::write_response(conn.get_mut(), status, &[("Content-Type", "application/json")], &answer, false)
            .await?;
        timed.lock().unwrap_or_else(|p| p.into_inner()).push((index, arrived, std::time::Instant::now()));
    }
    Ok(())
}

/// A request as a scripted upstream sees it.
pub struct Seen {
    pub method: String,
    /// Path with the query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The decoded form field `name` (`query`, `start`, `step`).
    pub fn form(&self, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&self.body).to_string();
        text.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| percent_decode(v))
        })
    }
}

/// A URL query or form value decoded (`+` is a space, `%XX` a byte; a `%` not followed by two hex
/// digits stays as it is).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(b)) => {
                out.push(b);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

/// What a scripted upstream answers: status, headers, body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(body: impl Into<Vec<u8>>) -> Reply {
        Reply { status: 200, headers: vec![("Content-Type".into(), "application/json".into())], body: body.into() }
    }
}

/// A Prometheus-shaped upstream whose every answer comes from `script`, counting the requests it saw.
pub struct Scripted {
    pub url: String,
    seen: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Scripted {
    pub async fn start(script: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> std::io::Result<Scripted> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let script = std::sync::Arc::new(script);
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = seen.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let _ = conn.set_nodelay(true);
                let (script, count) = (script.clone(), count.clone());
                tokio::spawn(async move {
                    let mut conn = tokio::io::BufReader::new(conn);
                    while let Ok(Some(req)) = crate::http::read_request(&mut conn, 8 << 20).await {
                        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let seen =
                            Seen { method: req.method, target: req.target, headers: req.headers, body: req.body };
                        let reply = script(&seen);
                        let headers: Vec<(&str, &str)> =
                            reply.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                        if crate::http::write_response(conn.get_mut(), reply.status, &headers, &reply.body, false)
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                });
            }
        });
        Ok(Scripted { url, seen })
    }

    /// Requests answered so far.
    pub fn requests(&self) -> usize {
        self.seen.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A Prometheus matrix answer with `series` series of `points` samples each, one per `step_s`
/// seconds from `start_s`, each series labelled `i` and carrying `pad` extra bytes of label.
pub fn matrix(series: usize, points: usize, start_s: f64, step_s: f64, pad: usize) -> Vec<u8> {
    let mut out = String::from(r#"{"status":"success","data":{"resultType":"matrix","result":["#);
    let padding = "x".repeat(pad);
    for i in 0..series {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(r#"{{"metric":{{"__name__":"lag","i":"{i}","pad":"{padding}"}},"values":["#));
        for p in 0..points {
            if p > 0 {
                out.push(',');
            }
            out.push_str(&format!(r#"[{},"1500"]"#, start_s + p as f64 * step_s));
        }
        out.push_str("]}");
    }
    out.push_str("]}}");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn query_values_decode_and_a_stray_percent_stays() {
        assert_eq!(percent_decode("sum%28x%29+%3E+1"), "sum(x) > 1");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }
}
