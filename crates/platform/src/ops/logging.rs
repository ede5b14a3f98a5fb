//! Logs: JSON lines in production, pretty in development, filtered by `RUST_LOG`.
//!
//! Personal data (contact name, e-mail, phone) never reaches a log: wrap anything that might
//! carry it in [`Redacted`], and the request trace logs only the method, the route *template*,
//! the status and the latency — never bodies, query strings, concrete paths or headers.

use std::fmt;
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::MatchedPath;
use axum::http::Request;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{MakeSpan, TraceLayer};
use tracing::{Span, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

/// A value that must not appear in logs: `Debug` and `Display` print `[redacted]`.
/// The value itself stays reachable through [`Redacted::expose`] for the code that needs it.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Redacted<T>(T);

impl<T> Redacted<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &T {
        &self.0
    }
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Redacted<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Shorthand for `Redacted::new`, for a log field: `tracing::info!(email = %redact(&e))`.
pub fn redact<T>(value: T) -> Redacted<T> {
    Redacted(value)
}

/// The subscriber [`init`] installs, writing to `writer` (tests pass a buffer).
pub fn subscriber<W>(json: bool, filter: EnvFilter, writer: W) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let registry = tracing_subscriber::registry().with(filter);
    if json {
        Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer),
            ),
        )
    } else {
        Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .pretty()
                    .with_writer(writer),
            ),
        )
    }
}

static INITIALISED: OnceLock<()> = OnceLock::new();

/// Installs the global subscriber: JSON lines (`json`) or pretty, on stderr, at the level
/// `RUST_LOG` says (default `info`). Calling it again is harmless.
pub fn init(json: bool) -> anyhow::Result<()> {
    init_with_default(json, "info")
}

/// The filter for a command run at a terminal, such as the demo: what the services do stays at
/// `info`, the access log line of every request only at `warn` (so what the person must read is
/// not buried). `RUST_LOG` still wins.
pub const QUIET_ACCESS_LOG: &str = "info,platform::ops::logging=warn";

/// [`init`] with another default filter when `RUST_LOG` is not set.
pub fn init_with_default(json: bool, default_filter: &str) -> anyhow::Result<()> {
    if INITIALISED.get().is_some() {
        return Ok(());
    }
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    tracing::subscriber::set_global_default(subscriber(json, filter, std::io::stderr))
        .map_err(|e| anyhow::anyhow!("installing the log subscriber: {e}"))?;
    let _ = INITIALISED.set(());
    Ok(())
}

/// The span of one request: its method and route template only.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, req: &Request<B>) -> Span {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str)
            .unwrap_or("unmatched");
        tracing::info_span!("request", method = %req.method(), route = %route)
    }
}

/// The request trace: a span per request with its method and route template, so events
/// logged while handling it carry both; no request line, headers, bodies or body chunks are
/// logged. The response line itself comes from [`access_log`].
pub type RequestTraceLayer =
    TraceLayer<SharedClassifier<ServerErrorsAsFailures>, RequestSpan, (), (), (), (), ()>;

/// See [`RequestTraceLayer`]. Apply with `Router::layer` so the route template is known.
pub fn trace_layer() -> RequestTraceLayer {
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_request(())
        .on_response(())
        .on_body_chunk(())
        .on_eos(())
        .on_failure(())
}

/// Middleware: one line per response with method, route template, status and latency as the
/// event's own fields (so the line is complete even where the span is not recorded).
pub async fn access_log(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let res = next.run(req).await;
    let status = res.status().as_u16();
    let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
    if res.status().is_server_error() {
        tracing::error!(method = %method, route = %route, status, latency_ms, "response");
    } else {
        tracing::info!(method = %method, route = %route, status, latency_ms, "response");
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_never_formats_its_value() {
        let r = redact("ada@example.com".to_string());
        assert_eq!(format!("{r}"), "[redacted]");
        assert_eq!(format!("{r:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&r)), "Some([redacted])");
        assert_eq!(r.expose(), "ada@example.com");
    }

    #[derive(Clone, Default)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_quiet_filter_drops_access_lines_but_keeps_what_the_services_say() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let quiet = subscriber(true, EnvFilter::new(QUIET_ACCESS_LOG), move || {
            writer.clone()
        });
        tracing::subscriber::with_default(quiet, || {
            tracing::info!(target: "platform::ops::logging", status = 200, "response");
            tracing::info!(target: "agent::cli", "sweep of 3 addresses");
            tracing::warn!(target: "platform::ops::logging", "connection cap reached");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert!(!text.contains("\"response\""), "{text}");
        assert!(text.contains("sweep of 3 addresses"), "{text}");
        assert!(text.contains("connection cap reached"), "{text}");
    }
}
