//! `tern health`: probes an admin endpoint (`/healthz` or `/readyz`) and succeeds only on a
//! 2xx answer, so container health checks work in images that have no shell and no curl.
//!
//! It speaks just enough HTTP/1.1 for the admin server: plain `http://`, one GET, the status
//! line only. It deliberately has no TLS, no redirects and no proxy support, and it adds no
//! HTTP client dependency to the binary.

use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest status line accepted; the admin server's is about twenty bytes.
const MAX_STATUS_LINE_BYTES: usize = 1024;

/// Arguments of `tern health`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// URL to probe, `http://HOST:PORT/PATH`.
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://127.0.0.1:9090/healthz"
    )]
    pub url: String,
    /// How long connecting, sending and reading the status line may take, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 2)]
    pub timeout: u64,
}

/// The parts of an `http://` URL the probe needs.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    /// Host name or IP address, without IPv6 brackets.
    host: String,
    port: u16,
    /// `host:port` as written, sent as the `Host` header.
    authority: String,
    /// Path and query, starting with `/`.
    path: String,
}

/// Splits an `http://` URL; any other scheme, a missing host or a bad port is an error.
fn parse_url(url: &str) -> anyhow::Result<Target> {
    let Some(rest) = url.strip_prefix("http://") else {
        bail!("url {url:?} must start with http:// (the admin server speaks plain HTTP)");
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(idx) if rest[idx..].starts_with('/') => (&rest[..idx], rest[idx..].to_owned()),
        Some(idx) => (&rest[..idx], format!("/{}", &rest[idx..])),
        None => (rest, "/".to_owned()),
    };
    if authority.contains('@') {
        bail!("url {url:?} must not hold credentials");
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .with_context(|| format!("url {url:?} has an unclosed IPv6 bracket"))?;
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => bail!("url {url:?} has text after the IPv6 address"),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        bail!("url {url:?} has no host");
    }
    let port = match port {
        Some(port) => port
            .parse::<u16>()
            .with_context(|| format!("url {url:?} has an invalid port {port:?}"))?,
        None => 80,
    };
    Ok(Target {
        host: host.to_owned(),
        port,
        authority: authority.to_owned(),
        path,
    })
}

/// Reads the status code out of an HTTP/1.x status line such as `HTTP/1.1 200 OK`.
fn parse_status_line(line: &str) -> anyhow::Result<u16> {
    let mut parts = line.split(' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        bail!("answer is not HTTP/1.x: {line:?}");
    }
    let code = parts.next().unwrap_or_default();
    if code.len() != 3 {
        bail!("answer has no status code: {line:?}");
    }
    code.parse::<u16>()
        .with_context(|| format!("answer has no status code: {line:?}"))
}

/// Sends one GET and returns the status line, without its line ending.
async fn fetch_status_line(target: &Target) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .with_context(|| format!("connect to {}", target.authority))?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: tern-health\r\nConnection: close\r\n\r\n",
        target.path, target.authority
    );
    stream
        .write_all(request.as_bytes())
        .await
        .context("send request")?;
    let mut received = Vec::with_capacity(256);
    let mut chunk = [0u8; 256];
    loop {
        if let Some(end) = received.windows(2).position(|pair| pair == b"\r\n") {
            received.truncate(end);
            break;
        }
        if received.len() > MAX_STATUS_LINE_BYTES {
            bail!("status line longer than {MAX_STATUS_LINE_BYTES} bytes");
        }
        let n_read = stream.read(&mut chunk).await.context("read answer")?;
        if n_read == 0 {
            bail!("connection closed before a status line");
        }
        received.extend_from_slice(&chunk[..n_read]);
    }
    String::from_utf8(received).context("status line is not UTF-8")
}

/// Runs `tern health`: prints the status line on a 2xx answer, fails otherwise.
pub fn run(args: HealthArgs) -> anyhow::Result<String> {
    let target = parse_url(&args.url)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("start tokio runtime")?;
    let timeout = Duration::from_secs(args.timeout);
    let status_line = runtime
        .block_on(async { tokio::time::timeout(timeout, fetch_status_line(&target)).await })
        .map_err(|_elapsed| anyhow::anyhow!("no answer within {}s", args.timeout))
        .and_then(|res| res)
        .with_context(|| format!("probe {}", args.url))?;
    let code = parse_status_line(&status_line).with_context(|| format!("probe {}", args.url))?;
    if !(200..300).contains(&code) {
        bail!("probe {}: {status_line}", args.url);
    }
    Ok(format!("{}: {status_line}", args.url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_and_path() {
        assert_eq!(
            parse_url("http://127.0.0.1:9090/healthz").unwrap(),
            Target {
                host: "127.0.0.1".to_owned(),
                port: 9090,
                authority: "127.0.0.1:9090".to_owned(),
                path: "/healthz".to_owned(),
            }
        );
        let target = parse_url("http://[::1]:8080/readyz?x=1").unwrap();
        assert_eq!((target.host.as_str(), target.port), ("::1", 8080));
        assert_eq!(target.path, "/readyz?x=1");
        let target = parse_url("http://tern-network").unwrap();
        assert_eq!((target.port, target.path.as_str()), (80, "/"));
        let target = parse_url("http://localhost?x").unwrap();
        assert_eq!(
            (target.authority.as_str(), target.path.as_str()),
            ("localhost", "/?x")
        );
    }

    #[test]
    fn rejects_urls_it_cannot_probe() {
        for url in [
            "https://127.0.0.1:9090/healthz",
            "127.0.0.1:9090",
            "http://:9090/healthz",
            "http://127.0.0.1:99999/",
            "http://127.0.0.1:x/",
            "http://[::1/",
            "http://[::1]x/",
            "http://user:pw@127.0.0.1/",
        ] {
            assert!(parse_url(url).is_err(), "{url} accepted");
        }
    }

    #[test]
    fn reads_the_status_code_of_http_1_answers_only() {
        assert_eq!(parse_status_line("HTTP/1.1 200 OK").unwrap(), 200);
        assert_eq!(
            parse_status_line("HTTP/1.0 503 Service Unavailable").unwrap(),
            503
        );
        assert!(parse_status_line("SSH-2.0-OpenSSH").is_err());
        assert!(parse_status_line("HTTP/1.1 2000 OK").is_err());
        assert!(parse_status_line("HTTP/1.1").is_err());
        assert!(parse_status_line("HTTP/1.1 abc").is_err());
    }
}
