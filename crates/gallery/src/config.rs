//! The app configuration a partner admin sets per device; it travels sealed (see [`crate::seal`]).
//! The types and their rules are the shared ones (`proto::config`); the gallery, where
//! configurations come in, adds the SVG content checks of [`crate::logo`].

pub use proto::config::{
    AppConfiguration, ConfigError, ConfirmationEmail, HELP_DESK_MAX, Permissions, Tabs,
};
pub use proto::{Language, SnmpCommunity};

/// Everything `AppConfiguration::validate` checks, plus that an SVG logo carries nothing active.
pub fn validate(config: &AppConfiguration) -> Result<(), ConfigError> {
    config.validate()?;
    if let Some(logo) = &config.logo {
        crate::logo::check(logo).map_err(|e| ConfigError::Logo(e.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_svg_logo_with_a_script_is_refused_by_the_gallery() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        let config = AppConfiguration {
            logo: Some(proto::Logo::image(svg).expect("sniffed as svg")),
            ..Default::default()
        };
        assert!(config.validate().is_ok(), "proto alone does not parse SVG");
        let err = validate(&config).expect_err("script");
        assert!(err.to_string().contains("<script>"), "{err}");
    }
}
