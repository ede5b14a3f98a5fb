//! Answering with a [`proto::Problem`]: the one problem body of every service lives in `proto`
//! (which knows no HTTP library); this is the one place that turns it into an HTTP response.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use proto::Problem;
pub use proto::problem::PROBLEM_JSON;

/// A problem of kind `slug` with the status's reason phrase as its title (the answers the
/// operations layers give on their own: body too large, too many requests, timeout, not ready).
pub fn status_problem(status: StatusCode, slug: &str, detail: impl Into<String>) -> Problem {
    Problem::new(
        status.as_u16(),
        slug,
        status.canonical_reason().unwrap_or("Error"),
        detail,
    )
}

/// The response for `problem`: its status (500 if that is no valid status),
/// `Content-Type: application/problem+json` and the body.
pub fn respond(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut res = (status, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    res
}

/// Whether a response already carries a problem details body.
pub(crate) fn is_problem(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_answers_with_its_status_and_the_problem_media_type() {
        let p = status_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited", "slow down");
        assert_eq!(p.title, "Too Many Requests");
        assert_eq!(p.slug(), Some("rate-limited"));
        let res = respond(&p);
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(is_problem(&res));
        let odd = Problem::new(99, "odd", "Odd", "not a status");
        assert_eq!(respond(&odd).status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
