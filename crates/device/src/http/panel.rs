//! The panel page `/`: a frame the size of the device's touch screen (the emulator's panel size,
//! 1024×600 unless `device serve --panel-size`, or `?size=WIDTHxHEIGHT`; never wider or higher
//! than the browser window, so nothing needs horizontal scrolling), the installed apps (icon and name, opening the app's entry page) and the
//! administrator's login or logout. Plain HTML, no script.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use super::apps::{InstalledApp, installed_apps};
use super::auth::is_admin_request;
use platform::escape::html_escape;

pub const DEFAULT_SIZE: (u32, u32) = (1024, 600);

/// Percent-encodes a relative path for a URL, keeping `/` between segments.
pub fn url_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where the panel opens an app.
pub fn app_entry_url(app: &InstalledApp) -> String {
    format!("/apps/{}/{}", url_path(&app.app_id), url_path(&app.entry))
}

/// A device page (panel, login): no script, nothing from elsewhere, not framed, not cached.
pub fn html(status: StatusCode, page: String) -> Response {
    let mut response = (status, Html(page)).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A whole HTML page.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>\
         body{{font-family:sans-serif;margin:0;background:#ddd}}\
         .panel{{background:#fff;border:4px solid #333;box-sizing:border-box;max-width:100%;max-height:100vh;padding:0;display:flex;flex-direction:column}}\
         .panel .apps-area{{flex:1;overflow:auto}}\
         .panel header,.panel footer{{background:#234;color:#fff;padding:.5em 1em;display:flex;flex-wrap:wrap;gap:.5em;justify-content:space-between;align-items:center}}\
         .panel footer a{{color:#fff}}\
         ul.apps{{list-style:none;display:flex;flex-wrap:wrap;gap:1em;padding:1em;margin:0}}\
         ul.apps a{{display:block;width:8em;text-align:center;text-decoration:none;color:#000}}\
         ul.apps img{{width:64px;height:64px}}\
         .icon{{display:inline-block;width:64px;height:64px;line-height:64px;background:#468;color:#fff;font-size:2em;border-radius:8px}}\
         .error{{color:#a00}} form{{display:inline}}\
         </style></head><body>{body}</body></html>",
        html_escape(title)
    )
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct PanelQuery {
    size: Option<String>,
}

/// `WIDTHxHEIGHT` within sizes panels have (320×240 to 1920×1200).
pub fn parse_size(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.trim().split_once(['x', 'X'])?;
    let (w, h) = (w.parse::<u32>().ok()?, h.parse::<u32>().ok()?);
    ((320..=1920).contains(&w) && (240..=1200).contains(&h)).then_some((w, h))
}

fn app_tile(app: &InstalledApp) -> String {
    let icon = match &app.icon {
        Some(icon) => format!(
            "<img src=\"/apps/{}/{}\" alt=\"\">",
            html_escape(&url_path(&app.app_id)),
            html_escape(&url_path(icon))
        ),
        None => format!(
            "<span class=\"icon\" aria-hidden=\"true\">{}</span>",
            html_escape(
                &app.name
                    .chars()
                    .next()
                    .unwrap_or('?')
                    .to_uppercase()
                    .to_string()
            )
        ),
    };
    format!(
        "<li><a href=\"{}\">{icon}<br><span>{}</span></a></li>",
        html_escape(&app_entry_url(app)),
        html_escape(&app.name)
    )
}

pub(crate) async fn panel(
    State(state): State<AppState>,
    Query(query): Query<PanelQuery>,
    headers: HeaderMap,
) -> Response {
    let (width, height) = match query.size.as_deref() {
        None => state.config.panel_size,
        Some(s) => match parse_size(s) {
            Some(size) => size,
            None => {
                return html(
                    StatusCode::BAD_REQUEST,
                    page(
                        "Bad panel size",
                        &format!(
                            "<p class=\"error\">size \"{}\" is not WIDTHxHEIGHT between 320x240 and 1920x1200, e.g. 800x480.</p>",
                            html_escape(s)
                        ),
                    ),
                );
            }
        },
    };
    let admin = is_admin_request(&state, &headers);
    let data_dir = state.config.data_dir.clone();
    let apps = tokio::task::spawn_blocking(move || installed_apps(&data_dir))
        .await
        .unwrap_or_default();
    let identity = printer::interpret(&state.config.mib.snapshot()).identity;
    let device = format!(
        "{} · {}",
        html_escape(identity.model.as_deref().unwrap_or("Device")),
        html_escape(identity.serial.as_deref().unwrap_or("no serial"))
    );
    let list = if apps.is_empty() {
        "<p style=\"padding:1em\">No apps installed.</p>".to_owned()
    } else {
        format!(
            "<ul class=\"apps\">{}</ul>",
            apps.iter().map(app_tile).collect::<String>()
        )
    };
    let admin_bar = if admin {
        "<span>Administrator logged in</span><form method=\"post\" action=\"/logout\"><button type=\"submit\">Log out</button></form>"
    } else {
        "<span>Walk-up user</span><a href=\"/login\">Administrator login</a>"
    };
    let body = format!(
        "<div class=\"panel\" style=\"width:{width}px;height:{height}px\" data-width=\"{width}\" data-height=\"{height}\">\
         <header><span>{device}</span></header><div class=\"apps-area\">{list}</div><footer>{admin_bar}</footer></div>"
    );
    html(StatusCode::OK, page("Device panel", &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_checked_and_markup_is_escaped() {
        assert_eq!(parse_size("800x480"), Some((800, 480)));
        assert_eq!(parse_size("10x10"), None);
        assert_eq!(parse_size("wide"), None);
        assert_eq!(url_path("a b/ü.html"), "a%20b/%C3%BC.html");
    }
}
