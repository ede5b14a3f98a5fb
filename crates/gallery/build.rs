// `sqlx::migrate!` embeds the migrations at compile time, and a stable compiler cannot tell that a
// new file in `migrations/` changes the crate: without this, a migration added alone left the
// binary without it until some Rust file changed (sqlx's documentation advises this line).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
