//! `gpx_codexflow`: started by Grafana as a go-plugin (protocol 2, gRPC).
//!
//! Nothing may reach stdout before the handshake line; logs go to stderr.

use std::io::Write;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // What backend::initialize() does, with one addition: TCP_NODELAY on the listener *before* the
    // handshake is printed. Accepted sockets inherit it on Linux, but only those accepted after it is set,
    // and Grafana connects as soon as it reads the handshake. Without it, Nagle's algorithm and delayed
    // ACKs stall every multi-segment answer by ~40 ms (Grafana's Go side sets NODELAY on its own end).
    let min = std::env::var("PLUGIN_MIN_PORT").ok();
    let max = std::env::var("PLUGIN_MAX_PORT").ok();
    let range = codexflow_backend::listener::port_range(min.as_deref(), max.as_deref())?;
    let listener = codexflow_backend::listener::bind(range).await?;
    if let Err(e) = socket2::SockRef::from(&listener).set_tcp_nodelay(true) {
        eprintln!("warning: cannot set TCP_NODELAY on the plugin listener: {e}");
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "1|2|tcp|{}|grpc", listener.local_addr()?)?;
    stdout.flush()?;
    drop(stdout);

    // Our own subscriber, not the SDK's: it keeps the SDK's request spans (which record decrypted
    // secrets) out of the log at any RUST_LOG level.
    codexflow_backend::logging::init();
    codexflow_backend::memory::configure();
    codexflow_backend::serve::serve(listener, codexflow_backend::serve::Services::default()).await?;
    Ok(())
}
