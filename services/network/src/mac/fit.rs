//! Fitting commands into the room a downlink has: 15 bytes of FOpts (LoRaWAN 1.0.4
//! §4.3.1.6) or a port-0 FRMPayload (the band's maximum payload at the data rate).

#[cfg(test)]
use lorawan_codec::FOpts;
use lorawan_codec::MacCommand;

/// Keeps the commands that fit in `max_len` bytes, in order: a command that does not fit
/// is skipped and later, smaller ones may still go. A run of LinkADRReq is kept or dropped
/// whole, because a device applies such a block as one (LoRaWAN 1.0.4 §5.2).
pub(crate) fn fit_payload(commands: &[MacCommand], max_len: usize) -> Vec<MacCommand> {
    let mut fitting = Vec::with_capacity(commands.len());
    let mut used = 0;
    let mut rest = commands;
    while let Some(first) = rest.first() {
        let unit_len = if matches!(first, MacCommand::LinkAdrReq(_)) {
            rest.iter()
                .take_while(|command| matches!(command, MacCommand::LinkAdrReq(_)))
                .count()
        } else {
            1
        };
        let (unit, tail) = rest.split_at(unit_len);
        let len: usize = unit.iter().map(MacCommand::encoded_len).sum();
        if used + len <= max_len {
            used += len;
            fitting.extend_from_slice(unit);
        }
        rest = tail;
    }
    fitting
}

/// Keeps the commands that fit in the 15 bytes of FOpts (see [`fit_payload`]), so that a
/// device asking too much in one uplink gets the first answers, not an error.
#[cfg(test)]
pub(crate) fn fit_f_opts(commands: &mut Vec<MacCommand>) {
    *commands = fit_payload(commands, FOpts::MAX_LEN);
}

#[cfg(test)]
mod tests {
    use lorawan_codec::{LinkAdrReqPayload, LinkCheckAnsPayload};

    use super::*;

    fn link_check_ans() -> MacCommand {
        MacCommand::LinkCheckAns(LinkCheckAnsPayload {
            margin: 1,
            gw_cnt: 1,
        })
    }

    fn link_adr_req(ch_mask_cntl: u8) -> MacCommand {
        MacCommand::LinkAdrReq(LinkAdrReqPayload {
            ch_mask_cntl,
            nb_trans: 1,
            ..LinkAdrReqPayload::default()
        })
    }

    #[test]
    fn keeps_the_leading_answers_that_fit_in_f_opts() {
        // Fifteen LinkCheckAns ask for 45 bytes; five fill 15 bytes.
        let mut commands = vec![link_check_ans(); 15];
        fit_f_opts(&mut commands);
        assert_eq!(commands.len(), 5);
        commands.push(MacCommand::DevStatusReq);
        fit_f_opts(&mut commands);
        assert_eq!(commands.len(), 5);
    }

    #[test]
    fn a_link_adr_block_goes_whole_or_not_at_all() {
        // 3 + 3 bytes of answers leave 9: a block of two LinkADRReq (10 bytes) does not fit,
        // the DevStatusReq after it does.
        let commands = [
            link_check_ans(),
            link_check_ans(),
            link_adr_req(7),
            link_adr_req(0),
            MacCommand::DevStatusReq,
        ];
        assert_eq!(
            fit_payload(&commands, FOpts::MAX_LEN),
            vec![link_check_ans(), link_check_ans(), MacCommand::DevStatusReq]
        );
        assert_eq!(fit_payload(&commands, 17), commands.to_vec());
        assert_eq!(fit_payload(&commands, 0), Vec::<MacCommand>::new());
    }
}
