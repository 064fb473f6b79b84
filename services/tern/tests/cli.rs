//! Runs the `tern` binary's protocol commands against published frames and keys.
//!
//! The vectors are the full frames of `lorawan-crypto`'s vector files, which come from The
//! Things Stack, ChirpStack and lora-packet; each command is checked in both directions
//! (decode what they sent, encode what they expect).

use std::process::Command;

use serde_json::Value;

struct Output {
    success: bool,
    stdout: String,
    stderr: String,
}

fn tern(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_tern"))
        .args(args)
        .output()
        .expect("run tern");
    Output {
        success: output.status.success(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn tern_json(args: &[&str]) -> Value {
    let output = tern(args);
    assert!(output.success, "tern {args:?} failed: {}", output.stderr);
    serde_json::from_str(&output.stdout).unwrap()
}

fn vectors(file: &str) -> Vec<Value> {
    let path = format!(
        "{}/../../libs/lorawan-crypto/tests/vectors/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn text<'a>(vector: &'a Value, key: &str) -> &'a str {
    vector[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {vector}"))
}

/// Adds `--flag value` for every vector field that is present.
fn key_flags(vector: &Value, fields: &[(&str, &str)]) -> Vec<String> {
    let mut args = Vec::new();
    for (field, flag) in fields {
        match &vector[*field] {
            Value::String(value) => args.extend([flag.to_string(), value.clone()]),
            Value::Number(value) => args.extend([flag.to_string(), value.to_string()]),
            _ => {}
        }
    }
    args
}

const DATA_KEYS: &[(&str, &str)] = &[
    ("nwk_s_key", "--nwk-s-key"),
    ("app_s_key", "--app-s-key"),
    ("s_nwk_s_int_key", "--s-nwk-s-int-key"),
    ("f_nwk_s_int_key", "--f-nwk-s-int-key"),
    ("nwk_s_enc_key", "--nwk-s-enc-key"),
    ("conf_f_cnt", "--conf-f-cnt"),
    ("tx_dr", "--tx-dr"),
    ("tx_ch", "--tx-ch"),
    ("scheme", "--f-opts-scheme"),
    ("f_cnt", "--f-cnt"),
];

fn is_data(kind: &str) -> bool {
    kind.starts_with("data_")
}

#[test]
fn decode_checks_mic_and_decrypts_published_data_frames() {
    let mut checked = 0;
    for vector in vectors("frames.json") {
        let kind = text(&vector, "kind");
        if !is_data(kind) {
            continue;
        }
        let mut args = vec!["frame".to_owned(), "decode".to_owned(), "--json".to_owned()];
        args.push(text(&vector, "phy").to_owned());
        args.extend(key_flags(&vector, DATA_KEYS));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let report = tern_json(&args);
        let name = text(&vector, "name");
        assert_eq!(report["mic"]["status"], "valid", "{name}: {report:#}");
        let frm_payload = text(&vector, "frm_payload");
        if !frm_payload.is_empty() {
            assert_eq!(report["frm_payload"]["plaintext"], frm_payload, "{name}");
        }
        let f_opts = text(&vector, "f_opts");
        if !f_opts.is_empty() {
            assert_eq!(report["mac_commands"]["source"], "f_opts", "{name}");
            assert!(
                !report["mac_commands"]["commands"]
                    .as_array()
                    .unwrap()
                    .is_empty(),
                "{name}"
            );
            if kind.ends_with("1_1") {
                assert_eq!(report["f_opts_plaintext"], f_opts, "{name}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} data vectors");
}

#[test]
fn decode_reports_invalid_mic_under_a_wrong_key() {
    let report = tern_json(&[
        "frame",
        "decode",
        "--json",
        "40f17dbe4900020001954378762b11ff0d",
        "--nwk-s-key",
        "44024241ed4ce9a68c6a8bc055233fd4",
    ]);
    assert_eq!(report["mic"]["status"], "invalid");
    assert_eq!(report["mic"]["key"], "nwk_s_key");
}

#[test]
fn decode_without_keys_says_which_flag_checks_the_mic() {
    let report = tern_json(&["frame", "decode", "--json", "QPF9vkkAAgABlUN4disR/w0="]);
    assert_eq!(report["mic"]["status"], "not_checked");
    let notes = report["notes"].to_string();
    assert!(notes.contains("--nwk-s-key"), "{notes}");
    assert!(notes.contains("--app-s-key"), "{notes}");
}

#[test]
fn encode_data_reproduces_published_frames() {
    for vector in vectors("frames.json") {
        let kind = text(&vector, "kind");
        if !is_data(kind) {
            continue;
        }
        let phy = hex_bytes(text(&vector, "phy"));
        let m_type = match phy[0] >> 5 {
            2 => "unconfirmed-up",
            3 => "unconfirmed-down",
            4 => "confirmed-up",
            _ => "confirmed-down",
        };
        let f_ctrl = phy[5];
        let uplink = phy[0] >> 5 == 2 || phy[0] >> 5 == 4;
        let dev_addr = format!("{:02x}{:02x}{:02x}{:02x}", phy[4], phy[3], phy[2], phy[1]);
        let f_opts_len = usize::from(f_ctrl & 0x0f);
        let mut args: Vec<String> = [
            "frame",
            "encode",
            "data",
            "--m-type",
            m_type,
            "--dev-addr",
            &dev_addr,
        ]
        .iter()
        .map(|arg| arg.to_string())
        .collect();
        args.extend(key_flags(&vector, DATA_KEYS));
        let flags: &[(u8, &str)] = if uplink {
            &[
                (0x80, "--adr"),
                (0x40, "--adr-ack-req"),
                (0x20, "--ack"),
                (0x10, "--class-b"),
            ]
        } else {
            &[(0x80, "--adr"), (0x20, "--ack"), (0x10, "--f-pending")]
        };
        for (bit, flag) in flags {
            if f_ctrl & bit != 0 {
                args.push(flag.to_string());
            }
        }
        let f_opts = text(&vector, "f_opts");
        if f_opts_len > 0 {
            args.extend(["--f-opts".to_owned(), f_opts.to_owned()]);
        }
        // FPort is present when the frame is longer than MHDR + FHDR + MIC.
        if phy.len() > 1 + 7 + f_opts_len + 4 {
            args.extend([
                "--f-port".to_owned(),
                phy[8 + f_opts_len].to_string(),
                "--payload".to_owned(),
                text(&vector, "frm_payload").to_owned(),
            ]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = tern(&args);
        assert!(
            output.success,
            "{}: {}",
            text(&vector, "name"),
            output.stderr
        );
        assert_eq!(
            output.stdout.trim(),
            text(&vector, "phy"),
            "{}",
            text(&vector, "name")
        );
    }
}

#[test]
fn join_request_round_trips_through_encode_and_decode() {
    for vector in vectors("frames.json") {
        if text(&vector, "kind") != "join_request" {
            continue;
        }
        let phy = text(&vector, "phy");
        let key = text(&vector, "key");
        let report = tern_json(&["frame", "decode", "--json", phy, "--app-key", key]);
        assert_eq!(report["mic"]["status"], "valid", "{report:#}");
        let body = &report["phy_payload"]["payload"]["join_request"];
        let dev_nonce = body["dev_nonce"].as_u64().unwrap().to_string();
        let output = tern(&[
            "frame",
            "encode",
            "join-request",
            "--join-eui",
            body["join_eui"].as_str().unwrap(),
            "--dev-eui",
            body["dev_eui"].as_str().unwrap(),
            "--dev-nonce",
            &dev_nonce,
            "--key",
            key,
        ]);
        assert!(output.success, "{}", output.stderr);
        assert_eq!(output.stdout.trim(), phy);
    }
}

#[test]
fn decode_decrypts_published_join_accepts_and_checks_their_mic() {
    for vector in vectors("frames.json") {
        let kind = text(&vector, "kind");
        if !kind.starts_with("join_accept") {
            continue;
        }
        let mut args = vec![
            "frame".to_owned(),
            "decode".to_owned(),
            "--json".to_owned(),
            text(&vector, "phy").to_owned(),
        ];
        if kind == "join_accept_1_0" {
            args.extend(["--app-key".to_owned(), text(&vector, "key").to_owned()]);
        } else {
            // The published 1.1 example uses one key as NwkKey and JSIntKey.
            args.extend(["--nwk-key".to_owned(), text(&vector, "key").to_owned()]);
            args.extend(["--js-int-key".to_owned(), text(&vector, "key").to_owned()]);
            args.extend(key_flags(
                &vector,
                &[("join_eui", "--join-eui"), ("dev_nonce", "--dev-nonce")],
            ));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let report = tern_json(&args);
        assert_eq!(report["mic"]["status"], "valid", "{report:#}");
        let decrypted = text(&vector, "decrypted");
        assert_eq!(report["mic"]["value"], &decrypted[decrypted.len() - 8..]);
    }
}

#[test]
fn encode_join_accept_reproduces_the_published_ttn_join_accept() {
    // The TTN OTAA exchange of lora-packet issue #10: JoinNonce e5063a, NetID 000013,
    // DevAddr 26012e43, RX2 DR3, RxDelay 1 and five EU868 CFList channels.
    let output = tern(&[
        "frame",
        "encode",
        "join-accept",
        "--join-nonce",
        "0xe5063a",
        "--net-id",
        "000013",
        "--dev-addr",
        "26012e43",
        "--rx2-dr",
        "3",
        "--rx-delay",
        "1",
        "--cf-list-freqs",
        "867100000,867300000,867500000,867700000,867900000",
        "--app-key",
        "b6b53f4a168a7a88bdf7ea135ce9cfca",
    ]);
    assert!(output.success, "{}", output.stderr);
    assert_eq!(
        output.stdout.trim(),
        "204dd85ae608b87fc4889970b7d2042c9e72959b0057aed6094b16003df12de145"
    );
}

#[test]
fn keys_derive_matches_published_session_keys() {
    let mut checked = 0;
    for vector in vectors("key_derivation.json") {
        let kind = text(&vector, "kind");
        // JSIntKey and JSEncKey depend on neither nonce; their vectors leave them out.
        let join_nonce = vector["join_nonce"].as_u64().unwrap_or(0).to_string();
        let dev_nonce = vector["dev_nonce"].as_u64().unwrap_or(0).to_string();
        let key = text(&vector, "key");
        let mut args = vec![
            "keys",
            "derive",
            "--json",
            "--join-nonce",
            &join_nonce,
            "--dev-nonce",
            &dev_nonce,
        ];
        let (field, mut extra) = match kind {
            "nwk_s_key" | "app_s_key" => (
                kind,
                vec![
                    "--lorawan",
                    "1.0",
                    "--app-key",
                    key,
                    "--net-id",
                    text(&vector, "net_id"),
                ],
            ),
            "app_s_key_1_1" => ("app_s_key", vec!["--app-key", key]),
            "f_nwk_s_int_key" | "s_nwk_s_int_key" | "nwk_s_enc_key" => {
                (kind, vec!["--nwk-key", key])
            }
            "js_int_key" | "js_enc_key" => (kind, vec!["--nwk-key", key]),
            other => panic!("unknown kind {other}"),
        };
        if !matches!(kind, "nwk_s_key" | "app_s_key") {
            // 1.1 needs every input; the ones a key does not depend on are filler.
            let filler = "00000000000000000000000000000000";
            let join_eui = vector["join_eui"].as_str().unwrap_or("0000000000000000");
            let dev_eui = vector["dev_eui"].as_str().unwrap_or("0000000000000000");
            extra.extend([
                "--lorawan",
                "1.1",
                "--join-eui",
                join_eui,
                "--dev-eui",
                dev_eui,
            ]);
            if !extra.contains(&"--nwk-key") {
                extra.extend(["--nwk-key", filler]);
            }
            if !extra.contains(&"--app-key") {
                extra.extend(["--app-key", filler]);
            }
        }
        args.extend(extra);
        let keys = tern_json(&args);
        assert_eq!(
            keys[field],
            text(&vector, "derived"),
            "{}",
            text(&vector, "name")
        );
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} key vectors");
}

#[test]
fn malformed_input_is_a_clear_error_not_a_panic() {
    for (args, expected) in [
        (vec!["frame", "decode", "40"], "decode PHYPayload"),
        (vec!["frame", "decode", "zz!"], "neither hex nor base64"),
        (
            vec![
                "frame",
                "decode",
                "40f17dbe4900020001954378762b11ff0d",
                "--f-cnt",
                "3",
            ],
            "does not end in the frame's 16-bit FCnt",
        ),
        (
            vec![
                "frame",
                "encode",
                "join-request",
                "--join-eui",
                "01",
                "--dev-eui",
                "0",
                "--dev-nonce",
                "1",
                "--key",
                "00",
            ],
            "invalid hex",
        ),
    ] {
        let output = tern(&args);
        assert!(!output.success, "{args:?} succeeded");
        assert!(
            output.stderr.contains(expected),
            "{args:?}: {:?}",
            output.stderr
        );
        assert!(!output.stderr.contains("panicked"), "{args:?}");
    }
}

#[test]
fn configfile_prints_the_documented_default_config() {
    let output = tern(&["configfile"]);
    assert!(output.success);
    assert!(output.stdout.contains("[nats]"), "{}", output.stdout);
    assert!(
        output.stdout.contains("TERN_NATS__URL"),
        "{}",
        output.stdout
    );
}

fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|idx| u8::from_str_radix(&text[idx..idx + 2], 16).unwrap())
        .collect()
}

#[test]
fn region_show_prints_band_tables_as_text_and_json() {
    let output = tern(&["region", "show", "eu868"]);
    assert!(output.success, "{}", output.stderr);
    // RP002-1.0.4 §2.1: RX2 869.525 MHz DR0, DR5 is SF7BW125, default channels 868.1/.3/.5.
    assert!(
        output.stdout.contains("RX2: 869.525 MHz DR0"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("LoRa SF7 BW125"),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains("868.300"), "{}", output.stdout);

    let band = tern_json(&["region", "show", "us915_1", "--json"]);
    assert_eq!(band["name"], "us915_1");
    // RP002-1.0.4 §2.5: RX2 923.3 MHz DR8; sub-band 2 enables channels 8-15 and 65.
    assert_eq!(band["rx2"]["frequency_hz"], 923_300_000);
    assert_eq!(band["rx2"]["data_rate"], 8);
    let enabled: Vec<u64> = band["enabled_channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|idx| idx.as_u64().unwrap())
        .collect();
    assert_eq!(enabled, vec![8, 9, 10, 11, 12, 13, 14, 15, 65]);

    let output = tern(&["region", "show", "eu869"]);
    assert!(!output.success);
    assert!(output.stderr.contains("unknown band"), "{}", output.stderr);
    let names = tern(&["region", "list"]);
    assert!(
        names.stdout.lines().any(|line| line == "as923_1"),
        "{}",
        names.stdout
    );
}
