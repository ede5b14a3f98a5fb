//! The weblet's own texts (tabs, busy and error messages, the Demo Mode box) and the assistant's
//! pages in the language chosen for the device: the app configuration's, else the device's own
//! (its panel browser's language), else English.

use fantoccini::Client;
use gallery::config::{AppConfiguration, Language};

use crate::harness::*;
use crate::helpers::*;

async fn page_language(c: &Client) -> String {
    c.execute("return document.documentElement.lang;", vec![])
        .await
        .expect("script")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn the_weblet_speaks_the_configured_language_else_the_devices() {
    let sys = start_system().await;
    // The device's own language is French (its browser's); every configuration but the last
    // names another one, which wins.
    let b = browser_in(Some("fr-FR")).await;
    let c = &b.client;
    for (lang, services, supplies, meters, heading) in [
        (
            "en",
            "Services",
            "Supplies",
            "Meters",
            "Service incidents of the last 30 days",
        ),
        (
            "de",
            "Service",
            "Material",
            "Zähler",
            "Servicevorgänge der letzten 30 Tage",
        ),
        (
            "it",
            "Assistenza",
            "Materiali",
            "Contatori",
            "Interventi di assistenza degli ultimi 30 giorni",
        ),
        (
            "es",
            "Servicio",
            "Consumibles",
            "Contadores",
            "Incidencias de servicio de los últimos 30 días",
        ),
        (
            "fr",
            "Services",
            "Consommables",
            "Compteurs",
            "Incidents de service des 30 derniers jours",
        ),
    ] {
        let config = AppConfiguration {
            language: Some(Language::parse(lang).expect("language")),
            ..Default::default()
        };
        let dev = device(&sys, SERIAL_A, &config).await;
        c.goto(&dev.app_url()).await.expect("open the app");
        wait_text(c, "#main", heading).await;
        wait_text(c, "#tab-services", services).await;
        wait_text(c, "#tab-supplies", supplies).await;
        wait_text(c, "#tab-meters", meters).await;
        assert_eq!(page_language(c).await, lang);
        screenshot(c, &format!("weblet-language-{lang}")).await;
    }
    // No language configured: the device's.
    let dev = device(&sys, SERIAL_A, &AppConfiguration::default()).await;
    c.goto(&dev.app_url()).await.expect("open the app");
    wait_text(c, "#main", "Incidents de service des 30 derniers jours").await;
    wait_text(c, "#tab-supplies", "Consommables").await;
    assert_eq!(page_language(c).await, "fr");
    screenshot(c, "weblet-language-device-fr").await;
}
