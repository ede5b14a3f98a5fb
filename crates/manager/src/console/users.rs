//! The users of a partner (partner admins only): list and add.

use super::{ConsoleError, ConsoleUser, lang};
use crate::app::AppState;
use crate::storage::{Role, StoreError};
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use platform::i18n::Locale;
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/console/users", get(users_page).post(add_user))
}

#[derive(Template)]
#[template(path = "console_users.html")]
struct UsersPage {
    l: Locale,
    user_email: Option<String>,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    users: Vec<(String, String)>,
}

async fn render_users(
    st: &AppState,
    user: &ConsoleUser,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Html<String>, ConsoleError> {
    let users = st.store.list_users(user.user.partner_id).await?;
    let l = lang();
    let html = UsersPage {
        l,
        user_email: Some(user.user.email.clone()),
        csrf: user.csrf.clone(),
        error,
        notice,
        users: users
            .iter()
            .map(|u| (u.email.clone(), role_label(u.role, l)))
            .collect(),
    }
    .render()?;
    Ok(Html(html))
}

fn role_label(role: Role, l: Locale) -> String {
    l.t(&format!("console-role-{}", role.as_str()))
}

async fn users_page(
    State(st): State<AppState>,
    user: ConsoleUser,
) -> Result<Html<String>, ConsoleError> {
    user.require_admin()?;
    render_users(&st, &user, None, None).await
}

#[derive(Deserialize)]
struct AddUserForm {
    #[serde(default)]
    csrf: String,
    email: String,
    password: String,
    role: String,
}

async fn add_user(
    State(st): State<AppState>,
    user: ConsoleUser,
    Form(form): Form<AddUserForm>,
) -> Result<Response, ConsoleError> {
    user.check_csrf(&form.csrf)?;
    user.require_admin()?;
    let l = lang();
    let email = crate::domain::EmailAddress::parse(&form.email)
        .map_err(|_| format!("{}: {}", l.t("console-email"), l.t("error-email-invalid")));
    let role = Role::parse(&form.role).ok_or_else(|| l.t("console-error-role"));
    let password_ok = if form.password.chars().count() >= 12 {
        Ok(())
    } else {
        Err(l.t("console-error-password-short"))
    };
    let (email, role) = match (email, role, password_ok) {
        (Ok(e), Ok(r), Ok(())) => (e, r),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            let page = render_users(&st, &user, Some(e), None).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let cost = st.config.password_cost;
    let password = secrecy::SecretString::from(form.password);
    let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password, cost))
        .await
        .map_err(|e| ConsoleError::Internal(e.to_string()))?
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    match st
        .store
        .create_user(user.user.partner_id, email.expose(), &hash, role)
        .await
    {
        Ok(u) => Ok(render_users(
            &st,
            &user,
            None,
            Some(platform::i18n::t_args(
                l,
                "console-user-added",
                &platform::i18n::Args::new()
                    .text("email", u.email.clone())
                    .text("role", role_label(role, l)),
            )),
        )
        .await?
        .into_response()),
        Err(StoreError::Conflict(_)) => {
            let message = l.t("console-error-user-exists");
            let page = render_users(&st, &user, Some(message), None).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
