//! The plugin's gRPC listener, bound as go-plugin's `serverListener_tcp` binds it
//! (hashicorp/go-plugin `server.go`): the first free port of `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT` on
//! 127.0.0.1, an unset bound being 0, so Grafana's port range (and a firewall built on it) holds.

use std::net::{Ipv4Addr, SocketAddr};

/// The port range from the two variables, refused as go-plugin refuses it.
pub fn port_range(min: Option<&str>, max: Option<&str>) -> Result<(u16, u16), String> {
    let read = |name: &str, v: Option<&str>| -> Result<u16, String> {
        match v.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(0),
            Some(v) => v.parse::<u16>().map_err(|e| format!("Couldn't get value from {name}: {e}")),
        }
    };
    let (min, max) = (read("PLUGIN_MIN_PORT", min)?, read("PLUGIN_MAX_PORT", max)?);
    if min > max {
        return Err(format!("PLUGIN_MIN_PORT value of {min} is greater than PLUGIN_MAX_PORT value of {max}"));
    }
    Ok((min, max))
}

/// Binds the first port of the range that is free.
pub async fn bind(range: (u16, u16)) -> std::io::Result<tokio::net::TcpListener> {
    for port in range.0..=range.1 {
        if let Ok(l) = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await {
            return Ok(l);
        }
    }
    Err(std::io::Error::new(std::io::ErrorKind::AddrInUse, "Couldn't bind plugin TCP listener"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_like_go_plugin() {
        assert_eq!(port_range(None, None), Ok((0, 0)));
        assert_eq!(port_range(Some("10000"), Some("25000")), Ok((10_000, 25_000)));
        assert!(port_range(Some("9"), Some("8")).unwrap_err().contains("greater than"));
        assert!(port_range(Some("x"), None).unwrap_err().contains("PLUGIN_MIN_PORT"));
        assert!(port_range(None, Some("70000")).unwrap_err().contains("PLUGIN_MAX_PORT"));
    }

    #[tokio::test]
    async fn the_first_free_port_of_the_range_is_taken() {
        let taken = bind((0, 0)).await.unwrap();
        let port = taken.local_addr().unwrap().port();
        let next = bind((port, port.saturating_add(50))).await.unwrap();
        let got = next.local_addr().unwrap().port();
        assert!(got > port && got <= port + 50, "{got} after {port}");
        assert!(bind((port, port)).await.is_err(), "a range with no free port is an error");
    }
}
