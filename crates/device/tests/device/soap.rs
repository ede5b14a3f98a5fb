//! The EIP SOAP services: well-formed and malformed requests, right and wrong community.

use crate::helpers::*;
use printer::snmp::Value;

const DEVCFG: &str = "/webservices/office/device_configuration/1";
const SESSION: &str = "/webservices/office/cuisession/1";
const SNMP: &str = "/webservices/SNMP/1";
const DEVCFG_NS: &str = "http://www.xerox.com/webservices/office/device_configuration/1";

fn value_of(answer: &SoapAnswer) -> Value {
    device::http::snmp_text::parse(&answer.field("Type"), &answer.field("returnValue"))
        .unwrap_or_else(|e| panic!("{e}: {}", answer.text))
}

#[tokio::test]
async fn device_information_matches_the_recording() {
    let app = spawn_app().await;
    let answer = post_soap(
        &app,
        DEVCFG,
        envelope(&format!(
            "<GetDeviceInformationRequest xmlns=\"{DEVCFG_NS}\"/>"
        )),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(answer.content_type.starts_with("text/xml"));
    assert_eq!(answer.payload().name, "GetDeviceInformationResponse");
    assert!(
        answer
            .text
            .contains("<Information>&lt;DeviceInformation&gt;"),
        "Information holds escaped XML: {}",
        answer.text
    );
    let info =
        device::http::soap::parse_xml(answer.field("Information").as_bytes()).expect("inner XML");
    let device = info.child("device").expect("a device element");
    let field = |n: &str| device.child(n).map(|e| e.text.clone());

    let expected = printer::interpret(&recording()).identity;
    assert!(expected.serial.is_some() && expected.model.is_some() && expected.mac.is_some());
    assert_eq!(field("serialNumber"), expected.serial);
    assert_eq!(field("model"), expected.model);
    assert_eq!(field("macAddress"), expected.mac);
    if fixture_path().ends_with("xerox-altalink-c8055-meters.snmprec") {
        assert_eq!(field("serialNumber").as_deref(), Some("XRX9C934E4A7B21"));
        assert_eq!(
            field("firmwareVersion").as_deref(),
            Some("103.002.010.35900")
        );
        assert_eq!(field("name").as_deref(), Some("XRX-C8055-3F"));
    }
}

#[tokio::test]
async fn every_service_tells_its_interface_version() {
    let app = spawn_app().await;
    for (path, ns) in [
        (DEVCFG, DEVCFG_NS),
        (
            SESSION,
            "http://www.xerox.com/webservices/office/cuisession/1",
        ),
        (SNMP, "http://www.xerox.com/webservices/SNMP/1"),
    ] {
        let answer = post_soap(
            &app,
            path,
            envelope(&format!("<GetInterfaceVersionRequest xmlns=\"{ns}\"/>")),
        )
        .await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text);
        assert_eq!(answer.payload().name, "GetInterfaceVersionResponse");
        assert_eq!(answer.payload().ns.as_deref(), Some(ns));
        let version = answer.payload().child("Version").expect("Version");
        assert_eq!(
            version.child("MajorVersion").map(|e| e.text.as_str()),
            Some("1")
        );
    }
}

#[tokio::test]
async fn ws_snmp_get_answers_each_value_with_its_type() {
    let app = spawn_app().await;
    let recording = recording();
    // One binding of each type the recording has, plus the text/hex split of octet strings.
    let mut seen = std::collections::BTreeSet::new();
    for vb in &recording {
        let (type_name, _) = device::http::snmp_text::format(&vb.value);
        if !seen.insert(type_name) {
            continue;
        }
        let answer = post_soap(
            &app,
            SNMP,
            snmp_request("GetRequest", COMMUNITY, &vb.oid.to_string()),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.payload().name, "GetResponse");
        assert_eq!(answer.field("OID"), vb.oid.to_string());
        assert_eq!(answer.field("Type"), type_name);
        assert_eq!(value_of(&answer), vb.value, "{}", vb.oid);
    }
    assert!(seen.contains("STRING") && seen.contains("INTEGER") && seen.contains("OID"));
    assert!(
        seen.contains("Hex-STRING"),
        "the MAC address is binary: {seen:?}"
    );

    let missing = post_soap(
        &app,
        SNMP,
        snmp_request("GetRequest", COMMUNITY, "1.3.6.1.2.1.1.99.0"),
    )
    .await;
    assert_eq!(
        (missing.status, missing.field("Type")),
        (200, "noSuchObject".to_owned())
    );
    let no_instance = post_soap(
        &app,
        SNMP,
        snmp_request("GetRequest", COMMUNITY, "1.3.6.1.2.1.1.1.7"),
    )
    .await;
    assert_eq!(no_instance.field("Type"), "noSuchInstance");
}

#[tokio::test]
async fn ws_snmp_getnext_walk_returns_the_recording_in_order() {
    let app = spawn_app().await;
    let mut expected = recording();
    expected.sort_by(|a, b| a.oid.cmp(&b.oid));
    let mut walked = Vec::new();
    let mut cursor = "1.3".to_owned();
    for _ in 0..expected.len() + 2 {
        let answer = post_soap(
            &app,
            SNMP,
            snmp_request("GetNextRequest", COMMUNITY, &cursor),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.payload().name, "GetNextResponse");
        let value = value_of(&answer);
        if value == Value::EndOfMibView {
            assert_eq!(
                answer.field("OID"),
                cursor,
                "endOfMibView names the OID asked about"
            );
            break;
        }
        cursor = answer.field("OID");
        walked.push(printer::snmp::VarBind::new(
            cursor.parse().expect("an OID"),
            value,
        ));
    }
    assert_eq!(walked, expected);
}

#[tokio::test]
async fn ws_snmp_getnext_beyond_the_end_is_end_of_mib_view() {
    let app = spawn_app().await;
    let answer = post_soap(
        &app,
        SNMP,
        snmp_request("GetNextRequest", COMMUNITY, "2.999"),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.field("Type"), "endOfMibView");
    assert_eq!(answer.field("OID"), "2.999");
    assert_eq!(answer.field("returnValue"), "");
}

#[tokio::test]
async fn wrong_community_is_a_fault_an_app_can_tell_apart() {
    let app = spawn_app().await;
    for op in ["GetRequest", "GetNextRequest"] {
        let answer = post_soap(&app, SNMP, snmp_request(op, "private", "1.3.6.1.2.1.1.1.0")).await;
        assert_eq!(answer.status, 500, "{}", answer.text);
        let (code, message, detail) = answer.fault();
        assert_eq!(code, "soap:Client");
        assert_eq!(detail, "AuthenticationFailure");
        assert!(
            message.contains("community string does not match"),
            "{message}"
        );
        assert!(
            !answer.text.contains("Xerox AltaLink"),
            "no data leaks with a wrong community"
        );
    }
    let right = post_soap(
        &app,
        SNMP,
        snmp_request("GetRequest", COMMUNITY, "1.3.6.1.2.1.1.1.0"),
    )
    .await;
    assert_eq!(right.status, 200);
}

#[tokio::test]
async fn set_request_is_refused_by_the_read_only_emulator() {
    let app = spawn_app().await;
    let before = app.mib.snapshot();
    let answer = post_soap(
        &app,
        SNMP,
        snmp_request("SetRequest", COMMUNITY, "1.3.6.1.2.1.1.5.0"),
    )
    .await;
    assert_eq!(answer.status, 500);
    let (code, message, detail) = answer.fault();
    assert_eq!(
        (code.as_str(), detail.as_str()),
        ("soap:Client", "ReadOnly")
    );
    assert!(message.contains("read-only emulator"), "{message}");
    assert_eq!(app.mib.snapshot(), before);
}

#[tokio::test]
async fn malformed_requests_get_faults_that_say_what_is_wrong() {
    let app = spawn_app().await;
    let snmp_op = |inner: &str| {
        envelope(&format!(
            "<GetRequest xmlns=\"http://www.xerox.com/webservices/SNMP/1\">{inner}</GetRequest>"
        ))
    };
    let community = "<SNMPv2cData><communityString>public</communityString></SNMPv2cData>";
    let cases: Vec<(&str, String, &str, &str, &str)> = vec![
        // (service path, body, faultcode, ErrorCode, words the faultstring must hold)
        (SNMP, "this is not xml".into(), "soap:Client", "MalformedXml", "not well-formed XML"),
        (SNMP, "<a><b></a>".into(), "soap:Client", "MalformedXml", "not well-formed XML"),
        (SNMP, "<GetRequest/>".into(), "soap:Client", "NotSoapEnvelope", "not a SOAP envelope"),
        (
            SNMP,
            "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"/>".into(),
            "soap:Client",
            "NotSoapEnvelope",
            "no Body",
        ),
        (SNMP, envelope(""), "soap:Client", "UnknownOperation", "Body is empty"),
        (
            SNMP,
            "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body/></e:Envelope>".into(),
            "soap:VersionMismatch",
            "VersionMismatch",
            "SOAP 1.1",
        ),
        (
            SNMP,
            envelope("<WalkRequest xmlns=\"http://www.xerox.com/webservices/SNMP/1\"/>"),
            "soap:Client",
            "UnknownOperation",
            "unknown operation WalkRequest",
        ),
        (
            DEVCFG,
            envelope("<GetRequest xmlns=\"http://www.xerox.com/webservices/SNMP/1\"/>"),
            "soap:Client",
            "UnknownOperation",
            "not offered here",
        ),
        (
            SNMP,
            snmp_op(&format!("<SNMPVersion>2c</SNMPVersion>{community}")),
            "soap:Client",
            "MissingOID",
            "carries no OID",
        ),
        (
            SNMP,
            snmp_op(&format!("<SNMPVersion>2c</SNMPVersion>{community}<OID></OID>")),
            "soap:Client",
            "MissingOID",
            "OID element is empty",
        ),
        (
            SNMP,
            snmp_op(&format!("<SNMPVersion>2c</SNMPVersion>{community}<OID>1.3.six.1</OID>")),
            "soap:Client",
            "InvalidOID",
            "OID is not valid",
        ),
        (
            SNMP,
            snmp_op(&format!("<SNMPVersion>2c</SNMPVersion>{community}<OID>7.3.6</OID>")),
            "soap:Client",
            "InvalidOID",
            "OID is not valid",
        ),
        (
            SNMP,
            snmp_op(&format!("<SNMPVersion>1</SNMPVersion>{community}<OID>1.3.6.1</OID>")),
            "soap:Client",
            "UnsupportedSNMPVersion",
            "2c",
        ),
        (
            SNMP,
            snmp_op(&format!("{community}<OID>1.3.6.1</OID>")),
            "soap:Client",
            "MissingSNMPVersion",
            "no SNMPVersion",
        ),
        (
            SNMP,
            snmp_op("<SNMPVersion>2c</SNMPVersion><OID>1.3.6.1</OID>"),
            "soap:Client",
            "MissingCommunityString",
            "communityString",
        ),
        (
            SESSION,
            envelope("<LogoutRequest xmlns=\"http://www.xerox.com/webservices/office/cuisession/1\"/>"),
            "soap:Client",
            "UnknownOperation",
            "unknown operation LogoutRequest",
        ),
    ];
    for (path, body, faultcode, detail, words) in cases {
        let answer = post_soap(&app, path, body.clone()).await;
        assert_eq!(answer.status, 500, "SOAP 1.1 faults are HTTP 500: {body}");
        assert!(answer.content_type.starts_with("text/xml"));
        let (code, message, error_code) = answer.fault();
        assert_eq!(
            (code.as_str(), error_code.as_str()),
            (faultcode, detail),
            "{body} -> {message}"
        );
        assert!(
            message.contains(words),
            "{body}: faultstring {message:?} should say {words:?}"
        );
    }

    let wrong_type = post_soap_raw(
        &app,
        SNMP,
        "application/json",
        snmp_request("GetRequest", COMMUNITY, "1.3.6.1.2.1.1.1.0"),
    )
    .await;
    assert_eq!(wrong_type.status, 500);
    assert!(
        wrong_type
            .fault()
            .1
            .contains("Content-Type must be text/xml")
    );

    let not_utf8 = post_soap_raw(&app, SNMP, "text/xml", vec![0xff_u8, 0xfe, 0x3c]).await;
    assert_eq!(not_utf8.fault().2, "MalformedXml");

    let too_big = post_soap_raw(&app, SNMP, "text/xml", "<a>".repeat(40_000)).await;
    assert_eq!(
        too_big.status, 500,
        "an oversized request is a fault too: {}",
        too_big.text
    );
}

#[tokio::test]
async fn exit_application_is_acknowledged() {
    let app = spawn_app().await;
    let answer = post_soap(
        &app,
        SESSION,
        envelope("<ExitApplicationRequest xmlns=\"http://www.xerox.com/webservices/office/cuisession/1\"/>"),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.payload().name, "ExitApplicationResponse");
}
