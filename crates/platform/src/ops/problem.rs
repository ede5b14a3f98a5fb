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

/// Makes a service's OpenAPI document say what it really answers with problems:
/// - every response documented with the `Problem` schema is `application/problem+json` (utoipa
///   writes `application/json` for `body = Problem`, but the services send the problem type);
/// - every operation documents `common`: the answers that no handler writes but the layers
///   around it and the extractors give on their own (e.g. 400 for a body that is not JSON,
///   429 from the rate limit, 503 after the request timeout), unless the operation documents
///   that status already; an operation with a security requirement also 401, one with a
///   request body also 413 (body limit), 415 (not JSON) and 422 (JSON of another shape);
/// - the `Problem` and `FieldProblem` schemas are in the components.
pub fn document_problems(doc: &mut utoipa::openapi::OpenApi, common: &[(u16, &str)]) {
    use utoipa::openapi::{ComponentsBuilder, Content, Ref, RefOr, ResponseBuilder};
    const JSON: &str = "application/json";
    let problem_ref = Ref::from_schema_name("Problem");
    let components = doc
        .components
        .get_or_insert_with(|| ComponentsBuilder::new().build());
    components
        .schemas
        .entry("Problem".into())
        .or_insert_with(<Problem as utoipa::PartialSchema>::schema);
    components
        .schemas
        .entry("FieldProblem".into())
        .or_insert_with(<proto::FieldProblem as utoipa::PartialSchema>::schema);
    let doc_secured = doc.security.as_ref().is_some_and(|s| !s.is_empty());
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in operations.into_iter().flatten() {
            for response in op.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                let is_problem = matches!(
                    response.content.get(JSON),
                    Some(RefOr::T(Content { schema: Some(RefOr::Ref(r)), .. }))
                        if r.ref_location == problem_ref.ref_location
                );
                if is_problem && let Some(content) = response.content.shift_remove(JSON) {
                    response.content.insert(PROBLEM_JSON.into(), content);
                }
            }
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty()) || doc_secured;
            let with_body = op.request_body.is_some();
            let implied = [
                (secured, 401, "the credential is missing or not accepted"),
                (with_body, 413, "the request body is larger than the limit"),
                (
                    with_body,
                    415,
                    "the request body is not of the documented media type",
                ),
                (
                    with_body,
                    422,
                    "the request body is JSON but not of the documented shape",
                ),
            ];
            let implied = implied
                .iter()
                .filter(|(applies, _, _)| *applies)
                .map(|(_, status, description)| (*status, *description));
            for (status, description) in common.iter().copied().chain(implied) {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| {
                        RefOr::T(
                            ResponseBuilder::new()
                                .description(description)
                                .content(PROBLEM_JSON, Content::new(Some(problem_ref.clone())))
                                .build(),
                        )
                    });
            }
        }
    }
}

/// What every operation of a service behind [`crate::ops::layers`] may answer besides its own
/// answers: a malformed request (the extractors) and the request timeout.
pub const COMMON_PROBLEMS: [(u16, &str); 2] = [
    (
        400,
        "the request is not valid: a parameter, header or the body is malformed",
    ),
    (503, "the request was not done within the time limit"),
];

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

    #[test]
    fn the_document_names_the_problem_media_type_and_the_common_answers() {
        use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
        use utoipa::openapi::{Content, OpenApiBuilder, PathsBuilder, Ref, ResponseBuilder};
        let op = OperationBuilder::new()
            .response(
                "404",
                ResponseBuilder::new().description("no such thing").content(
                    "application/json",
                    Content::new(Some(Ref::from_schema_name("Problem"))),
                ),
            )
            .response(
                "429",
                ResponseBuilder::new().description("documented by the service"),
            );
        let mut doc = OpenApiBuilder::new()
            .paths(PathsBuilder::new().path("/x", PathItem::new(HttpMethod::Get, op)))
            .build();
        document_problems(&mut doc, &[(413, "too large"), (429, "rate limited")]);
        let json = serde_json::to_value(&doc).unwrap();
        let responses = &json["paths"]["/x"]["get"]["responses"];
        assert!(responses["404"]["content"]["application/problem+json"].is_object());
        assert!(
            responses["404"]["content"]
                .get("application/json")
                .is_none()
        );
        assert_eq!(responses["413"]["description"], "too large");
        assert_eq!(
            responses["413"]["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem"
        );
        assert_eq!(responses["429"]["description"], "documented by the service");
        assert!(json["components"]["schemas"]["Problem"].is_object());
    }
}
