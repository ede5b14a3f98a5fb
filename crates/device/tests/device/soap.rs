//! The EIP SOAP services: every operation in SOAP 1.1 and 1.2 as the vendor's library sends it,
//! answers at the paths ../shared/eip/README.md documents, malformed requests, right and wrong
//! community.

use crate::helpers::*;
use printer::snmp::Value;

fn value_of(answer: &SoapAnswer) -> Value {
    device::http::snmp_text::parse(&answer.field("Type"), &answer.field("returnValue"))
        .unwrap_or_else(|e| panic!("{e}: {}", answer.text))
}

/// Every operation of every service, in both versions: answered 200 in the version asked, with
/// the answer element the operation names.
#[tokio::test]
async fn every_operation_answers_in_the_soap_version_it_was_asked_in() {
    let app = spawn_app().await;
    let cases: Vec<(&str, String, &str)> = vec![
        (
            DEVCFG,
            op("GetInterfaceVersionRequest", DEVCFG_NS),
            "GetInterfaceVersionResponse",
        ),
        (
            DEVCFG,
            op("GetDeviceInformationRequest", DEVCFG_NS),
            "GetDeviceInformationResponse",
        ),
        (DEVCFG, op("VoidRequest", DEVCFG_NS), "VoidResponse"),
        (
            SESSION,
            op("GetInterfaceVersionRequest", SESSION_NS),
            "GetInterfaceVersionResponse",
        ),
        (
            SESSION,
            op("GetSessionInformationRequest", SESSION_NS),
            "GetSessionInformationResponse",
        ),
        (
            SESSION,
            op("ExitApplicationRequest", SESSION_NS),
            "ExitApplicationResponse",
        ),
        (
            SESSION,
            op("SetSessionParametersRequest", SESSION_NS),
            "SetSessionParametersResponse",
        ),
        (
            SNMP,
            op("GetInterfaceVersionRequest", SNMP_NS),
            "GetInterfaceVersionResponse",
        ),
        (
            SNMP,
            snmp_body("GetRequest", COMMUNITY, "1.3.6.1.2.1.1.5.0"),
            "GetResponse",
        ),
        (
            SNMP,
            snmp_body("GetNextRequest", COMMUNITY, "1.3.6.1.2.1.1.5"),
            "GetNextResponse",
        ),
    ];
    for v in BOTH {
        for (path, inner, response) in &cases {
            let answer = post_soap_v(&app, path, v, inner).await;
            assert_eq!(answer.status, 200, "{v:?} {inner}: {}", answer.text);
            assert_eq!(answer.payload().name, *response, "{v:?}: {}", answer.text);
            let expected_type = match v {
                V::V11 => "text/xml; charset=utf-8",
                V::V12 => "application/soap+xml; charset=utf-8",
            };
            assert_eq!(answer.content_type, expected_type, "{v:?} {response}");
        }
    }
    // SetRequest is answered too: with a fault, since the read community cannot write.
    for v in BOTH {
        let answer = post_soap_v(
            &app,
            SNMP,
            v,
            &set_body(COMMUNITY, &[("1.3.6.1.2.1.1.5.0", "STRING", "renamed")]),
        )
        .await;
        assert_eq!(answer.fault().2, "ReadOnly", "{}", answer.text);
    }
    // What the device saw: every request in the version it was sent, with the SOAPAction "".
    let log = app.soap_log.exchanges();
    assert_eq!(log.len(), 2 * cases.len() + 2);
    assert!(log.iter().all(|e| e.soap_action.as_deref() == Some("\"\"")));
    assert_eq!(
        log.iter()
            .filter(|e| e.version == device::http::soap::SoapVersion::V12)
            .count(),
        cases.len() + 1
    );
}

#[tokio::test]
async fn device_information_has_the_documented_paths_in_both_versions() {
    let expected = printer::interpret(&recording()).identity;
    assert!(expected.serial.is_some() && expected.model.is_some() && expected.mac.is_some());
    for (size, panel) in [(None, (1024, 600)), (Some((800, 480)), (800, 480))] {
        let app = spawn_app_with(|s| match size {
            Some(size) => s.with_panel_size(size),
            None => s,
        })
        .await;
        for v in BOTH {
            let answer = post_soap_v(
                &app,
                DEVCFG,
                v,
                &op("GetDeviceInformationRequest", DEVCFG_NS),
            )
            .await;
            assert_eq!(answer.status, 200, "{}", answer.text);
            assert!(
                answer.text.contains("<Information>&lt;"),
                "Information holds escaped XML: {}",
                answer.text
            );
            let info = answer.information();
            let at = |path: &str| {
                info.path(path)
                    .map(|e| e.text.clone())
                    .unwrap_or_else(|| panic!("no {path} in the device information"))
            };
            assert_eq!(Some(at("device/serial")), expected.serial);
            assert_eq!(Some(at("device/model")), expected.model);
            assert_eq!(Some(at("device/mac")), expected.mac);
            if fixture_path().ends_with("xerox-altalink-c8055-meters.snmprec") {
                assert_eq!(at("device/serial"), "XRX9C934E4A7B21");
                assert_eq!(at("device/name"), "XRX-C8055-3F");
            }
            assert_eq!(at("display/canvasSize/width"), panel.0.to_string());
            assert_eq!(at("display/canvasSize/height"), panel.1.to_string());
            for numeric in [
                "display/dpi",
                "display/bitdepth",
                "version/eipSoftware/majorVersion",
                "version/eipSoftware/minorVersion",
                "version/eipSoftware/revision",
                "style/generation",
            ] {
                assert!(
                    at(numeric).parse::<u32>().is_ok(),
                    "{numeric}: {:?}",
                    at(numeric)
                );
            }
            for text in [
                "display/colorspace",
                "display/physical/size",
                "display/physical/aspectRatio",
                "version/EIPBrowserInfo/BrowserType",
                "version/EIPBrowserInfo/BrowserVersion",
            ] {
                assert!(!at(text).is_empty(), "{text}");
            }
            for invented in ["serialNumber", "macAddress", "firmwareVersion"] {
                assert!(info.find(invented).is_none(), "{invented}: {}", answer.text);
            }
        }
    }
}

#[tokio::test]
async fn every_service_tells_its_interface_version_in_both_versions() {
    let app = spawn_app().await;
    for v in BOTH {
        for (path, ns, element) in [
            (DEVCFG, DEVCFG_NS, "InterfaceVersion"),
            (SESSION, SESSION_NS, "InterfaceVersion"),
            (SNMP, SNMP_NS, "Version"),
        ] {
            let answer = post_soap_v(&app, path, v, &op("GetInterfaceVersionRequest", ns)).await;
            assert_eq!(answer.status, 200, "{path}: {}", answer.text);
            assert_eq!(answer.payload().name, "GetInterfaceVersionResponse");
            assert_eq!(answer.payload().ns.as_deref(), Some(ns));
            let version = answer
                .payload()
                .child(element)
                .unwrap_or_else(|| panic!("{path}: no {element} in {}", answer.text));
            for part in ["MajorVersion", "MinorVersion", "Revision"] {
                let n = version
                    .child(part)
                    .map(|e| e.text.clone())
                    .unwrap_or_default();
                assert!(n.parse::<u32>().is_ok(), "{path} {part}: {n:?}");
            }
        }
    }
}

#[tokio::test]
async fn session_information_names_guest_or_the_administrator_with_roles_and_from() {
    let app = spawn_app_with(|s| s.with_admin_email(Some("it-admin@example.org".into()))).await;
    for v in BOTH {
        let info = post_soap_v(
            &app,
            SESSION,
            v,
            &op("GetSessionInformationRequest", SESSION_NS),
        )
        .await
        .information();
        assert_eq!(
            info.path("username").map(|e| e.text.as_str()),
            Some("guest")
        );
        assert!(info.path("qualifiedUsername").is_some());
        assert!(info.find("from").is_none(), "no e-mail for a walk-up user");
        let mut roles = Vec::new();
        info.find_all("role", &mut roles);
        assert!(roles.iter().all(|r| r.text != "xeSystemAdministrator"));
    }
    let res = login(&app, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 303);
    for v in BOTH {
        let info = post_soap_v(
            &app,
            SESSION,
            v,
            &op("GetSessionInformationRequest", SESSION_NS),
        )
        .await
        .information();
        assert_eq!(
            info.path("username").map(|e| e.text.as_str()),
            Some("admin")
        );
        assert_eq!(
            info.path("from").map(|e| e.text.as_str()),
            Some("it-admin@example.org")
        );
        assert_eq!(
            info.path("roles/authorized/role").map(|e| e.text.as_str()),
            Some("xeSystemAdministrator")
        );
        assert!(info.find("isAdministrator").is_none());
    }
}

#[tokio::test]
async fn content_types_of_both_versions_are_accepted() {
    let app = spawn_app().await;
    let body12 = envelope_v(
        V::V12,
        &snmp_body("GetRequest", COMMUNITY, "1.3.6.1.2.1.1.5.0"),
    );
    for ct in [
        "text/xml",
        "text/xml; charset=utf-8",
        "application/soap+xml",
        "application/soap+xml; charset=utf-8; action=\"http://www.xerox.com/webservices/SNMP/1/GetRequest\"",
    ] {
        let answer = post_soap_raw(&app, SNMP, ct, body12.clone()).await;
        assert_eq!(answer.status, 200, "{ct}: {}", answer.text);
        assert_eq!(answer.version(), V::V12);
        let sys_name = app.mib.get(&"1.3.6.1.2.1.1.5.0".parse().expect("an OID"));
        assert_eq!(
            answer.find("returnValue"),
            device::http::snmp_text::format(&sys_name).1
        );
    }
    let answer = post_soap_raw(
        &app,
        SNMP,
        "application/soap+xml",
        snmp_request("GetRequest", COMMUNITY, "1.3.6.1.2.1.1.5.0"),
    )
    .await;
    assert_eq!(
        (answer.status, answer.version()),
        (200, V::V11),
        "the envelope decides the version"
    );
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
        // SOAP 1.2, as the vendor's library sends WS-SNMP requests.
        let answer = post_soap_v(
            &app,
            SNMP,
            V::V12,
            &snmp_body("GetNextRequest", COMMUNITY, &cursor),
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
async fn wrong_community_is_a_fault_an_app_can_tell_apart_in_both_versions() {
    let app = spawn_app().await;
    for v in BOTH {
        for op in ["GetRequest", "GetNextRequest"] {
            let answer = post_soap_v(
                &app,
                SNMP,
                v,
                &snmp_body(op, "private", "1.3.6.1.2.1.1.1.0"),
            )
            .await;
            let (code, message, detail) = answer.fault();
            match v {
                V::V11 => assert_eq!((answer.status, code.as_str()), (500, "soap:Client")),
                V::V12 => assert_eq!((answer.status, code.as_str()), (400, "env:Sender")),
            }
            assert_eq!(detail, "AuthenticationFailure");
            assert_eq!(
                answer.find("ErrorCode"),
                "AuthenticationFailure",
                "found by local name"
            );
            assert!(
                message.contains("community string does not match"),
                "{message}"
            );
            assert!(
                !answer.text.contains("Xerox AltaLink"),
                "no data leaks with a wrong community"
            );
        }
        let right = post_soap_v(
            &app,
            SNMP,
            v,
            &snmp_body("GetRequest", COMMUNITY, "1.3.6.1.2.1.1.1.0"),
        )
        .await;
        assert_eq!(right.status, 200);
    }
}

#[tokio::test]
async fn set_request_is_answered_and_refused_for_the_read_only_community() {
    let app = spawn_app().await;
    let before = app.mib.snapshot();
    for v in BOTH {
        let answer = post_soap_v(
            &app,
            SNMP,
            v,
            &set_body(
                COMMUNITY,
                &[
                    ("1.3.6.1.2.1.1.5.0", "STRING", "renamed"),
                    ("1.3.6.1.2.1.1.6.0", "STRING", "2nd floor"),
                ],
            ),
        )
        .await;
        assert_eq!(answer.status, if v == V::V11 { 500 } else { 400 });
        let (_, message, detail) = answer.fault();
        assert_eq!(detail, "ReadOnly");
        assert!(message.contains("read-only community"), "{message}");
        // A wrong community is told apart from a read-only one.
        let wrong = post_soap_v(
            &app,
            SNMP,
            v,
            &set_body("private", &[("1.3.6.1.2.1.1.5.0", "STRING", "renamed")]),
        )
        .await;
        assert_eq!(wrong.fault().2, "AuthenticationFailure");
        // A value that is not of its Type is named.
        let bad = post_soap_v(
            &app,
            SNMP,
            v,
            &set_body(COMMUNITY, &[("1.3.6.1.2.1.1.7.0", "INTEGER", "seventy")]),
        )
        .await;
        assert_eq!(bad.fault().2, "InvalidValue", "{}", bad.text);
        let none = post_soap_v(&app, SNMP, v, &set_body(COMMUNITY, &[])).await;
        assert_eq!(none.fault().2, "MissingOID");
    }
    assert_eq!(app.mib.snapshot(), before, "nothing was written");
}

#[tokio::test]
async fn a_soap_1_2_fault_has_code_reason_and_detail_and_unknown_envelopes_get_an_upgrade() {
    let app = spawn_app().await;
    let answer = post_soap_v(
        &app,
        SNMP,
        V::V12,
        "<WalkRequest xmlns=\"http://www.xerox.com/webservices/SNMP/1\"/>",
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.content_type, "application/soap+xml; charset=utf-8");
    let (code, reason, detail) = answer.fault();
    assert_eq!(
        (code.as_str(), detail.as_str()),
        ("env:Sender", "UnknownOperation")
    );
    assert!(reason.contains("unknown operation WalkRequest"), "{reason}");
    assert!(answer.text.contains("xml:lang=\"en\""), "{}", answer.text);

    let old =
        "<e:Envelope xmlns:e=\"http://www.w3.org/2001/12/soap-envelope\"><e:Body/></e:Envelope>";
    let answer = post_soap_raw(&app, SNMP, "application/soap+xml", old).await;
    assert_eq!((answer.status, answer.version()), (500, V::V12));
    let (code, _, detail) = answer.fault();
    assert_eq!(
        (code.as_str(), detail.as_str()),
        ("env:VersionMismatch", "VersionMismatch")
    );
    let upgrade = answer
        .body
        .path("Header/Upgrade")
        .unwrap_or_else(|| panic!("an Upgrade header block: {}", answer.text));
    assert_eq!(upgrade.children_named("SupportedEnvelope").count(), 2);
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
            "<e:Envelope xmlns:e=\"http://www.w3.org/2001/12/soap-envelope\"><e:Body/></e:Envelope>".into(),
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
