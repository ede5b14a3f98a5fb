//! Reproducible .weblet builds from the stand-in weblet.

use crate::helpers::{copy_dir, fixture_weblet};
use gallery::package::{Package, PackageError};

#[test]
fn the_same_directory_builds_the_same_bytes() {
    let a = Package::build(&fixture_weblet()).expect("build");
    let b = Package::build(&fixture_weblet()).expect("build");
    assert_eq!(a.bytes, b.bytes);
    assert_eq!(a.manifest.version.to_string(), "1.0.0");
}

#[test]
fn timestamps_permissions_and_copy_order_do_not_change_the_bytes() {
    let original = Package::build(&fixture_weblet()).expect("build");
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture_weblet(), dir.path());
    let app_js = dir.path().join("js/app.js");
    let file = std::fs::File::options()
        .write(true)
        .open(&app_js)
        .expect("open");
    file.set_modified(
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000),
    )
    .expect("mtime");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&app_js, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let copy = Package::build(dir.path()).expect("build");
    assert_eq!(copy.bytes, original.bytes);
    assert_eq!(copy.sha256(), original.sha256());
}

#[test]
fn entries_are_sorted_and_changes_to_content_change_the_bytes() {
    let original = Package::build(&fixture_weblet()).expect("build");
    assert_eq!(
        original.entries().expect("entries"),
        [
            "icons/icon-48.png",
            "index.html",
            "js/app.js",
            "manifest.json"
        ]
    );
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture_weblet(), dir.path());
    std::fs::write(dir.path().join("js/app.js"), "var changed = 1;\n").expect("write");
    assert_ne!(
        Package::build(dir.path()).expect("build").bytes,
        original.bytes
    );
}

#[test]
fn a_built_package_opens_with_its_manifest() {
    let built = Package::build(&fixture_weblet()).expect("build");
    let opened = Package::open(built.bytes.clone()).expect("open");
    assert_eq!(opened, built);
}

#[test]
fn a_manifest_naming_a_missing_entry_page_is_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture_weblet(), dir.path());
    std::fs::remove_file(dir.path().join("index.html")).expect("rm");
    let err = Package::build(dir.path()).expect_err("missing entry");
    assert!(
        matches!(
            err,
            PackageError::MissingFile {
                what: "entry page",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_manifest_asking_for_an_unknown_device_service_is_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture_weblet(), dir.path());
    let path = dir.path().join("manifest.json");
    let manifest = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        manifest.replace("/webservices/SNMP/1", "/webservices/Shell/1"),
    )
    .expect("write");
    let err = Package::build(dir.path()).expect_err("unknown service");
    assert!(err.to_string().contains("/webservices/Shell/1"), "{err}");
}

#[test]
fn a_directory_without_a_manifest_is_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("index.html"), "<p>hi</p>").expect("write");
    assert!(matches!(
        Package::build(dir.path()),
        Err(PackageError::NoManifest)
    ));
}

#[test]
fn the_publish_command_line_builds_the_same_bytes_into_out() {
    // `gallery publish DIR --out FILE --dry-run` through the library's clap types.
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        command: gallery::cli::GalleryCommand,
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("app.weblet");
    let cli = Cli::try_parse_from([
        "gallery",
        "publish",
        fixture_weblet().to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
        "--dry-run",
    ])
    .expect("parse");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(gallery::cli::run(cli.command)).expect("run");
    let built = Package::build(&fixture_weblet()).expect("build");
    assert_eq!(std::fs::read(&out).expect("read"), built.bytes);
}

#[test]
fn the_publish_command_line_adds_a_version_to_the_database() {
    use clap::Parser;
    use gallery::storage::Store;
    #[derive(clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        command: gallery::cli::GalleryCommand,
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite:{}", dir.path().join("g.db").display());
    let publish = || {
        Cli::try_parse_from([
            "gallery",
            "publish",
            fixture_weblet().to_str().expect("utf8"),
            "--database",
            &database,
        ])
        .expect("parse")
        .command
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        gallery::cli::run(publish()).await.expect("publish");
        let again = gallery::cli::run(publish())
            .await
            .expect_err("same version twice");
        assert!(
            format!("{again:#}").contains("already published"),
            "{again:#}"
        );
        let store = gallery::storage::SqliteStore::connect(&database)
            .await
            .expect("open");
        let app = gallery::domain::AppId::parse("support-assistant").expect("app");
        let versions = store.versions(&app).await.expect("versions");
        assert_eq!(versions, [semver::Version::new(1, 0, 0)]);
    });
}
