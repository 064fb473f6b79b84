//! Payload formatters: turn an uplink's bytes into an object for the application, and a
//! downlink object into bytes.
//!
//! A device has none (the raw bytes only), CayenneLPP, or a JavaScript codec run under a time
//! and memory limit (see `javascript`). Formatter failures are returned as [`Error`]; the
//! caller still delivers the raw payload and reports the failure as an `error` event.

pub mod cayenne;
pub mod javascript;

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

/// Which formatter a device uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Formatter {
    /// No formatter: applications get the raw payload only.
    None,
    /// CayenneLPP.
    CayenneLpp,
    /// A JavaScript codec with `decodeUplink` and `encodeDownlink`.
    JavaScript {
        /// The script source.
        source: String,
    },
}

impl Formatter {
    /// Returns the registry name: `none`, `cayenne_lpp` or `javascript`.
    pub fn kind(&self) -> &'static str {
        match self {
            Formatter::None => "none",
            Formatter::CayenneLpp => "cayenne_lpp",
            Formatter::JavaScript { .. } => "javascript",
        }
    }
}

/// Time and memory limits of one JavaScript formatter call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatterLimits {
    /// Longest run of one call.
    pub timeout: Duration,
    /// Most memory the call's runtime may allocate, in bytes.
    pub memory_limit_bytes: usize,
}

/// Why a formatter failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// CayenneLPP decoding or encoding failed.
    #[error("cayennelpp")]
    Cayenne(#[from] cayenne::Error),
    /// The JavaScript codec failed.
    #[error("javascript")]
    JavaScript(#[from] javascript::Error),
    /// The JavaScript codec returned errors.
    #[error("formatter returned errors: {}", .0.join("; "))]
    Reported(Vec<String>),
    /// The device has no formatter that could encode an object.
    #[error("device has no payload formatter to encode a downlink object")]
    NoEncoder,
    /// The task running the formatter failed.
    #[error("formatter task: {0}")]
    Task(String),
}

impl Error {
    /// Returns the whole chain as one line, for `error` events.
    pub fn describe(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(inner) = source {
            text.push_str(": ");
            text.push_str(&inner.to_string());
            source = inner.source();
        }
        text
    }
}

/// A decoded uplink.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The decoded object.
    pub data: Value,
    /// Warnings of the codec.
    pub warnings: Vec<String>,
}

/// Decodes an uplink's plaintext `bytes` on `f_port`; `None` for devices without a formatter.
pub async fn decode_uplink(
    formatter: &Formatter,
    limits: FormatterLimits,
    bytes: &[u8],
    f_port: u8,
    recv_time: SystemTime,
) -> Result<Option<Decoded>, Error> {
    match formatter {
        Formatter::None => Ok(None),
        Formatter::CayenneLpp => Ok(Some(Decoded {
            data: Value::Object(cayenne::decode(bytes)?),
            warnings: Vec::new(),
        })),
        Formatter::JavaScript { source } => {
            let source = source.clone();
            let input = json!({"bytes": bytes, "fPort": f_port});
            let output = tokio::task::spawn_blocking(move || {
                javascript::call(&source, "decodeUplink", &input, Some(recv_time), limits)
            })
            .await
            .map_err(|error| Error::Task(error.to_string()))??;
            if !output.errors.is_empty() {
                return Err(Error::Reported(output.errors));
            }
            let data = output.result.get("data").cloned().unwrap_or(Value::Null);
            Ok(Some(Decoded {
                data,
                warnings: output.warnings,
            }))
        }
    }
}

/// Encodes a downlink object for `f_port`; returns the bytes and the FPort to send on (a
/// JavaScript codec may choose another one).
pub async fn encode_downlink(
    formatter: &Formatter,
    limits: FormatterLimits,
    data: &Value,
    f_port: u8,
) -> Result<(Vec<u8>, u8), Error> {
    match formatter {
        Formatter::None => Err(Error::NoEncoder),
        Formatter::CayenneLpp => Ok((cayenne::encode(data)?, f_port)),
        Formatter::JavaScript { source } => {
            let source = source.clone();
            let input = json!({"data": data, "fPort": f_port});
            let output = tokio::task::spawn_blocking(move || {
                javascript::call(&source, "encodeDownlink", &input, None, limits)
            })
            .await
            .map_err(|error| Error::Task(error.to_string()))??;
            if !output.errors.is_empty() {
                return Err(Error::Reported(output.errors));
            }
            let bytes = output
                .result
                .get("bytes")
                .and_then(Value::as_array)
                .ok_or_else(|| Error::Reported(vec![String::from("no bytes array")]))?
                .iter()
                .map(|byte| {
                    byte.as_u64()
                        .and_then(|byte| u8::try_from(byte).ok())
                        .ok_or_else(|| Error::Reported(vec![format!("bad byte {byte}")]))
                })
                .collect::<Result<Vec<u8>, Error>>()?;
            let f_port = match output.result.get("fPort").and_then(Value::as_u64) {
                Some(port) => u8::try_from(port)
                    .map_err(|_| Error::Reported(vec![format!("bad fPort {port}")]))?,
                None => f_port,
            };
            Ok((bytes, f_port))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> FormatterLimits {
        FormatterLimits {
            timeout: Duration::from_millis(200),
            memory_limit_bytes: 8 << 20,
        }
    }

    #[tokio::test]
    async fn javascript_encoder_returns_bytes_and_may_choose_the_port() {
        let formatter = Formatter::JavaScript {
            source: String::from(
                "function encodeDownlink(input) {
                   return { bytes: [input.data.level, 255], fPort: input.fPort + 1 };
                 }",
            ),
        };
        let encoded = encode_downlink(&formatter, limits(), &json!({"level": 3}), 10)
            .await
            .unwrap();
        assert_eq!(encoded, (vec![3, 255], 11));
    }

    #[tokio::test]
    async fn encoders_refuse_what_they_cannot_encode() {
        let bad_byte = Formatter::JavaScript {
            source: String::from("function encodeDownlink(i) { return { bytes: [256] }; }"),
        };
        assert!(matches!(
            encode_downlink(&bad_byte, limits(), &json!({}), 1).await,
            Err(Error::Reported(_))
        ));
        let reported = Formatter::JavaScript {
            source: String::from("function encodeDownlink(i) { return { errors: ['no'] }; }"),
        };
        assert_eq!(
            encode_downlink(&reported, limits(), &json!({}), 1).await,
            Err(Error::Reported(vec![String::from("no")]))
        );
        assert_eq!(
            encode_downlink(&Formatter::None, limits(), &json!({}), 1).await,
            Err(Error::NoEncoder)
        );
        assert!(matches!(
            encode_downlink(&Formatter::CayenneLpp, limits(), &json!({"x": 1}), 1).await,
            Err(Error::Cayenne(_))
        ));
    }

    #[tokio::test]
    async fn decoder_without_formatter_gives_nothing_and_reported_errors_fail() {
        let time = SystemTime::UNIX_EPOCH;
        assert_eq!(
            decode_uplink(&Formatter::None, limits(), &[1], 1, time).await,
            Ok(None)
        );
        let reported = Formatter::JavaScript {
            source: String::from("function decodeUplink(i) { return { errors: ['bad port'] }; }"),
        };
        let res = decode_uplink(&reported, limits(), &[1], 1, time).await;
        assert_eq!(res, Err(Error::Reported(vec![String::from("bad port")])));
        assert_eq!(
            res.unwrap_err().describe(),
            "formatter returned errors: bad port"
        );
    }
}
