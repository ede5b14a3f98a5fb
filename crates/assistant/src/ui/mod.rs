//! The panel pages: small server-rendered HTML fragments (askama, auto-escaped) that the weblet
//! fetches with the device credential and shows inside the panel. No cookies and no script: the
//! state of a request wizard travels in hidden form fields, and the weblet sends the forms back
//! with XHR (Authorization, X-App-Config, Idempotency-Key on Send).
//!
//! Routes (all need the device credential and the sealed app configuration, as the App API):
//! - `GET  /ui/v1/services`: the device's service incidents of the last 30 days and "Report a problem";
//! - `POST /ui/v1/supplies` (JSON device report): supply incidents and the supplies to pick from;
//! - `POST /ui/v1/meters` (JSON device report): the billing meters and Send;
//! - `GET  /ui/v1/service-request`, `POST /ui/v1/service-request`: the service wizard;
//! - `POST /ui/v1/supply-request`: the supplies wizard (step 1 is the Supplies tab's form);
//! - `POST /ui/v1/meter-reads`: sends the meters shown.
//!
//! One module per page: `services` (Services tab), `supplies` (Supplies tab), `meters` (Meters tab
//! and its Send), `service_request` and `supply_request` (the two wizards), `wizard` (the steps the
//! wizards share: contact, review, done, cancelled), `pages` (rows, field errors, the error page and
//! rendering), `forms` (form bodies).
//!
//! [`cors`] lets the weblet (served by the device, another origin) call the App API and these pages.

mod forms;
mod meters;
mod pages;
mod service_request;
mod services;
mod supplies;
mod supply_request;
mod wizard;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::app::AppState;

pub use forms::FormFields;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui/v1/services", get(services::services))
        .route("/ui/v1/supplies", post(supplies::supplies))
        .route("/ui/v1/meters", post(meters::meters))
        .route(
            "/ui/v1/service-request",
            get(service_request::service_start).post(service_request::service_step),
        )
        .route("/ui/v1/supply-request", post(supply_request::supply_step))
        .route("/ui/v1/meter-reads", post(meters::send_meters))
}

/// The request headers the weblet sends across origins.
const ALLOWED_HEADERS: &str =
    "authorization, content-type, x-app-config, x-demo-mode, idempotency-key";

/// Cross-origin access for the weblet: the panel page comes from the device (`http://127.0.0.1`),
/// the assistant is elsewhere. Any origin may call, because nothing here rides on ambient
/// authority: every request carries the device credential in a header, never a cookie, so a
/// foreign page gains nothing it could not do without a browser.
pub async fn cors(request: Request, next: Next) -> Response {
    let origin = request.headers().contains_key(header::ORIGIN);
    if request.method() == Method::OPTIONS
        && origin
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        let mut res = StatusCode::NO_CONTENT.into_response();
        let h = res.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("7200"),
        );
        return res;
    }
    let mut res = next.run(request).await;
    if origin {
        let h = res.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        // Lets the panel budget be measured in the browser (sizes and timings of these answers).
        h.insert(
            HeaderName::from_static("timing-allow-origin"),
            HeaderValue::from_static("*"),
        );
    }
    res
}
