//! Benchmarks of the per-uplink cryptography of a network server.
//!
//! (a) a LoRaWAN 1.0 data uplink with a 20-byte FRMPayload, from raw PHYPayload bytes: header
//! fields sliced by hand, 32-bit FCnt reconstruction, MIC verification, FRMPayload decryption;
//! (b) a join-request MIC check; (c) a LoRaWAN 1.1 data uplink MIC check. Each runs with keys
//! prepared once (as a session cache would) and with keys expanded per frame. (a) also runs
//! with the frame decoded by `lorawan-codec` instead of sliced by hand: the network server's
//! real path.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_main};
use lorawan_codec::{Aes128Key, DevAddr, PhyPayload};
use lorawan_crypto::{
    B1Fields, CipherKey, Direction, MAX_FCNT_GAP, MicKey, compute_data_uplink_mic_1_0,
    compute_data_uplink_mic_1_1, compute_join_request_mic, decrypt_frm_payload_in_place,
    encrypt_frm_payload_in_place, reconstruct_f_cnt, split_mic, verify_data_uplink_mic_1_0,
    verify_data_uplink_mic_1_1, verify_join_request_mic,
};

const NWK_S_KEY: [u8; 16] = [0x44; 16];
const APP_S_KEY: [u8; 16] = [0xec; 16];
const DEV_ADDR: u32 = 0x2601_1234;
const F_CNT: u32 = 0x0001_0203;

/// Builds an unconfirmed data uplink carrying 20 bytes on FPort 1, with a valid 1.0 MIC.
fn uplink_1_0() -> Vec<u8> {
    let dev_addr = DevAddr::from_u32(DEV_ADDR);
    let mut frame = vec![0x40];
    frame.extend_from_slice(&dev_addr.to_le_bytes());
    frame.push(0x00);
    frame.extend_from_slice(&(F_CNT as u16).to_le_bytes());
    frame.push(1);
    let mut payload: Vec<u8> = (0u8..20).collect();
    let app_s_key = CipherKey::new(&Aes128Key::from_bytes(APP_S_KEY));
    encrypt_frm_payload_in_place(&app_s_key, Direction::Uplink, dev_addr, F_CNT, &mut payload)
        .unwrap();
    frame.extend_from_slice(&payload);
    let nwk_s_key = MicKey::new(&Aes128Key::from_bytes(NWK_S_KEY));
    let mic = compute_data_uplink_mic_1_0(&nwk_s_key, dev_addr, F_CNT, &frame).unwrap();
    frame.extend_from_slice(&mic);
    frame
}

/// The per-uplink work of (a): slice, reconstruct FCnt, verify MIC, decrypt into a stack buffer.
fn process_uplink_1_0(nwk_s_key: &MicKey, app_s_key: &CipherKey, phy: &[u8]) -> [u8; 20] {
    let (msg, mic) = split_mic(phy).unwrap();
    let dev_addr = DevAddr::from_le_bytes([msg[1], msg[2], msg[3], msg[4]]);
    let f_opts_len = usize::from(msg[5] & 0x0f);
    let f_cnt_16 = u16::from_le_bytes([msg[6], msg[7]]);
    let f_cnt = reconstruct_f_cnt(Some(F_CNT - 1), f_cnt_16, MAX_FCNT_GAP)
        .f_cnt()
        .unwrap();
    verify_data_uplink_mic_1_0(nwk_s_key, dev_addr, f_cnt, msg, mic).unwrap();
    let payload_start = 8 + f_opts_len + 1;
    let mut payload = [0u8; 20];
    payload.copy_from_slice(&msg[payload_start..]);
    decrypt_frm_payload_in_place(app_s_key, Direction::Uplink, dev_addr, f_cnt, &mut payload)
        .unwrap();
    payload
}

/// The per-uplink work of (a) through the codec: decode, reconstruct FCnt, verify the MIC over
/// the raw bytes, decrypt the decoded FRMPayload in place.
fn decode_and_process_uplink_1_0(
    nwk_s_key: &MicKey,
    app_s_key: &CipherKey,
    phy: &[u8],
) -> PhyPayload {
    let mut frame = PhyPayload::decode(phy).unwrap();
    let mac_payload = frame.mac_payload_mut().unwrap();
    let fhdr = *mac_payload.fhdr();
    let f_cnt = reconstruct_f_cnt(Some(F_CNT - 1), fhdr.f_cnt, MAX_FCNT_GAP)
        .f_cnt()
        .unwrap();
    let (msg, mic) = split_mic(phy).unwrap();
    verify_data_uplink_mic_1_0(nwk_s_key, fhdr.dev_addr, f_cnt, msg, mic).unwrap();
    decrypt_frm_payload_in_place(
        app_s_key,
        Direction::Uplink,
        fhdr.dev_addr,
        f_cnt,
        mac_payload.frm_payload_mut(),
    )
    .unwrap();
    frame
}

fn bench_uplink_1_0(c: &mut Criterion) {
    let phy = uplink_1_0();
    let nwk_s_key = MicKey::new(&Aes128Key::from_bytes(NWK_S_KEY));
    let app_s_key = CipherKey::new(&Aes128Key::from_bytes(APP_S_KEY));
    assert_eq!(
        process_uplink_1_0(&nwk_s_key, &app_s_key, &phy),
        core::array::from_fn::<u8, 20, _>(|idx| idx as u8)
    );

    let mut group = c.benchmark_group("uplink_1_0_mic_and_decrypt_20_bytes");
    group.throughput(Throughput::Elements(1));
    group.bench_function("prepared_keys", |b| {
        b.iter(|| process_uplink_1_0(&nwk_s_key, &app_s_key, black_box(&phy)))
    });
    group.bench_function("keys_expanded_per_frame", |b| {
        b.iter(|| {
            let nwk_s_key = MicKey::new(black_box(&Aes128Key::from_bytes(NWK_S_KEY)));
            let app_s_key = CipherKey::new(black_box(&Aes128Key::from_bytes(APP_S_KEY)));
            process_uplink_1_0(&nwk_s_key, &app_s_key, black_box(&phy))
        })
    });
    let decoded = decode_and_process_uplink_1_0(&nwk_s_key, &app_s_key, &phy);
    assert_eq!(
        decoded.mac_payload().unwrap().frm_payload(),
        (0u8..20).collect::<Vec<_>>()
    );
    group.bench_function("codec_decode_prepared_keys", |b| {
        b.iter(|| decode_and_process_uplink_1_0(&nwk_s_key, &app_s_key, black_box(&phy)))
    });
    group.bench_function("codec_decode_keys_expanded_per_frame", |b| {
        b.iter(|| {
            let nwk_s_key = MicKey::new(black_box(&Aes128Key::from_bytes(NWK_S_KEY)));
            let app_s_key = CipherKey::new(black_box(&Aes128Key::from_bytes(APP_S_KEY)));
            decode_and_process_uplink_1_0(&nwk_s_key, &app_s_key, black_box(&phy))
        })
    });
    group.finish();
}

fn bench_join_request(c: &mut Criterion) {
    let app_key = Aes128Key::from_bytes([0x98; 16]);
    let mut phy = vec![0x00];
    phy.extend_from_slice(&[0x01; 8]);
    phy.extend_from_slice(&[0x02; 8]);
    phy.extend_from_slice(&[0x03, 0x03]);
    let mic = compute_join_request_mic(&MicKey::new(&app_key), &phy).unwrap();
    phy.extend_from_slice(&mic);

    let mut group = c.benchmark_group("join_request_mic_check");
    group.throughput(Throughput::Elements(1));
    group.bench_function("key_expanded_per_request", |b| {
        b.iter(|| {
            let (msg, mic) = split_mic(black_box(&phy)).unwrap();
            verify_join_request_mic(&MicKey::new(black_box(&app_key)), msg, mic).unwrap();
        })
    });
    let prepared = MicKey::new(&app_key);
    group.bench_function("prepared_key", |b| {
        b.iter(|| {
            let (msg, mic) = split_mic(black_box(&phy)).unwrap();
            verify_join_request_mic(&prepared, msg, mic).unwrap();
        })
    });
    group.finish();
}

fn bench_uplink_1_1(c: &mut Criterion) {
    let s_key = MicKey::new(&Aes128Key::from_bytes([0x02; 16]));
    let f_key = MicKey::new(&Aes128Key::from_bytes([0x03; 16]));
    let dev_addr = DevAddr::from_u32(DEV_ADDR);
    let b1_fields = B1Fields {
        conf_f_cnt: None,
        tx_dr: 5,
        tx_ch: 2,
    };
    let mut phy = uplink_1_0();
    phy.truncate(phy.len() - 4);
    let mic =
        compute_data_uplink_mic_1_1(&s_key, &f_key, b1_fields, dev_addr, F_CNT, &phy).unwrap();
    phy.extend_from_slice(&mic);

    let mut group = c.benchmark_group("uplink_1_1_mic_check");
    group.throughput(Throughput::Elements(1));
    group.bench_function("prepared_keys", |b| {
        b.iter(|| {
            let (msg, mic) = split_mic(black_box(&phy)).unwrap();
            verify_data_uplink_mic_1_1(&s_key, &f_key, b1_fields, dev_addr, F_CNT, msg, mic)
                .unwrap();
        })
    });
    group.finish();
}

// `criterion_group!` expands to an undocumented `pub fn` that no doc comment can reach.
#[allow(missing_docs)]
mod group {
    use super::{bench_join_request, bench_uplink_1_0, bench_uplink_1_1};

    criterion::criterion_group!(
        benches,
        bench_uplink_1_0,
        bench_join_request,
        bench_uplink_1_1
    );
}

criterion_main!(group::benches);
