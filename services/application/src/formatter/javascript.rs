//! JavaScript payload formatters in the LoRaWAN Payload Codec API shape (TS013-1.0.0):
//! `decodeUplink({bytes, fPort, recvTime})` and `encodeDownlink({data, fPort})`, each returning
//! `{data | bytes, fPort, warnings, errors}`.
//!
//! Every call gets a fresh QuickJS runtime with a memory limit and an interrupt handler that
//! stops the script at its deadline, so a formatter that loops or allocates without bound costs
//! at most its limits and leaves nothing behind for the next call. Calls are synchronous and
//! CPU-bound: callers run them on the blocking pool.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rquickjs::{CatchResultExt, CaughtError, Context, Ctx, Function, Object, Runtime, Value};

use super::FormatterLimits;

/// Why a script call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The script ran past its deadline and was stopped.
    #[error("formatter ran longer than {0:?}")]
    Timeout(Duration),
    /// The script threw, failed to compile or exceeded its memory limit.
    #[error("formatter script: {0}")]
    Script(String),
    /// The script does not define the function.
    #[error("formatter defines no {0} function")]
    Missing(&'static str),
    /// The function returned something other than the codec API's result object.
    #[error("formatter result: {0}")]
    Output(String),
    /// The runtime could not be created.
    #[error("javascript runtime: {0}")]
    Runtime(String),
}

/// What a codec function returned.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptOutput {
    /// `data` of `decodeUplink`, or `{bytes, fPort}` of `encodeDownlink`, as JSON.
    pub result: serde_json::Value,
    /// `warnings`, as strings.
    pub warnings: Vec<String>,
    /// `errors`, as strings; non-empty means the call failed.
    pub errors: Vec<String>,
}

/// Runs `function` of `source` on the JSON `input`; `recv_time`, when given, becomes
/// `input.recvTime` as a `Date`.
pub fn call(
    source: &str,
    function: &'static str,
    input: &serde_json::Value,
    recv_time: Option<SystemTime>,
    limits: FormatterLimits,
) -> Result<ScriptOutput, Error> {
    let runtime = Runtime::new().map_err(|error| Error::Runtime(error.to_string()))?;
    runtime.set_memory_limit(limits.memory_limit_bytes);
    runtime.set_max_stack_size(256 * 1024);
    let started = Instant::now();
    let deadline = started + limits.timeout;
    runtime.set_interrupt_handler(Some(Box::new(move || Instant::now() >= deadline)));
    let context = Context::full(&runtime).map_err(|error| Error::Runtime(error.to_string()))?;
    let input_text = input.to_string();
    let res = context.with(|ctx| run(&ctx, source, function, &input_text, recv_time));
    match res {
        Err(Error::Script(_)) if Instant::now() >= deadline => Err(Error::Timeout(limits.timeout)),
        other => other,
    }
}

fn caught(error: CaughtError<'_>) -> Error {
    let text = match error {
        CaughtError::Exception(exception) => exception
            .message()
            .unwrap_or_else(|| String::from("exception")),
        CaughtError::Value(value) => value
            .as_string()
            .and_then(|text| text.to_string().ok())
            .unwrap_or_else(|| String::from("thrown value")),
        CaughtError::Error(error) => error.to_string(),
    };
    Error::Script(text)
}

fn run<'js>(
    ctx: &Ctx<'js>,
    source: &str,
    function: &'static str,
    input_text: &str,
    recv_time: Option<SystemTime>,
) -> Result<ScriptOutput, Error> {
    ctx.eval::<(), _>(source).catch(ctx).map_err(caught)?;
    let codec: Value = ctx.globals().get(function).catch(ctx).map_err(caught)?;
    let Some(codec) = codec.into_function() else {
        return Err(Error::Missing(function));
    };
    let input: Value = ctx.json_parse(input_text).catch(ctx).map_err(caught)?;
    if let (Some(recv_time), Some(object)) = (recv_time, input.as_object()) {
        let millis = recv_time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis());
        let date: Value = ctx
            .eval(format!("new Date({millis})"))
            .catch(ctx)
            .map_err(caught)?;
        object.set("recvTime", date).catch(ctx).map_err(caught)?;
    }
    let output: Value = Function::call(&codec, (input,))
        .catch(ctx)
        .map_err(caught)?;
    let Some(output) = output.as_object() else {
        return Err(Error::Output(String::from("not an object")));
    };
    let strings = |key: &str| -> Result<Vec<String>, Error> { string_list(ctx, output, key) };
    let warnings = strings("warnings")?;
    let errors = strings("errors")?;
    let json = ctx
        .json_stringify(output.clone())
        .catch(ctx)
        .map_err(caught)?
        .map(|text| text.to_string())
        .transpose()
        .map_err(|error| Error::Output(error.to_string()))?
        .unwrap_or_default();
    let mut result: serde_json::Value =
        serde_json::from_str(&json).map_err(|error| Error::Output(error.to_string()))?;
    if let Some(object) = result.as_object_mut() {
        object.remove("warnings");
        object.remove("errors");
    }
    Ok(ScriptOutput {
        result,
        warnings,
        errors,
    })
}

/// Reads `object[key]` as an array of strings (missing means empty); non-strings are shown.
fn string_list<'js>(ctx: &Ctx<'js>, object: &Object<'js>, key: &str) -> Result<Vec<String>, Error> {
    let value: Value = object.get(key).catch(ctx).map_err(caught)?;
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    let Some(array) = value.as_array() else {
        return Err(Error::Output(format!("{key} is not an array")));
    };
    let mut out = Vec::with_capacity(array.len());
    for item in array.iter::<Value>() {
        let item = item.catch(ctx).map_err(caught)?;
        let text = match item.as_string() {
            Some(text) => text
                .to_string()
                .map_err(|error| Error::Output(error.to_string()))?,
            None => ctx
                .json_stringify(item)
                .catch(ctx)
                .map_err(caught)?
                .and_then(|text| text.to_string().ok())
                .unwrap_or_default(),
        };
        out.push(text);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn limits() -> FormatterLimits {
        FormatterLimits {
            timeout: Duration::from_millis(200),
            memory_limit_bytes: 8 << 20,
        }
    }

    #[test]
    fn runs_decode_uplink_with_bytes_port_and_date() {
        let source = r"
            function decodeUplink(input) {
              return {
                data: { sum: input.bytes.reduce((a, b) => a + b, 0), port: input.fPort,
                        year: input.recvTime.getUTCFullYear() },
                warnings: ['low battery'],
              };
            }";
        let recv_time = UNIX_EPOCH + Duration::from_secs(1_715_000_000);
        let output = call(
            source,
            "decodeUplink",
            &json!({"bytes": [1, 2, 3], "fPort": 7}),
            Some(recv_time),
            limits(),
        )
        .unwrap();
        assert_eq!(
            output.result,
            json!({"data": {"sum": 6, "port": 7, "year": 2024}})
        );
        assert_eq!(output.warnings, ["low battery"]);
        assert!(output.errors.is_empty());
    }

    #[test]
    fn stops_a_script_that_loops_forever() {
        let started = Instant::now();
        let res = call(
            "function decodeUplink(input) { while (true) {} }",
            "decodeUplink",
            &json!({"bytes": [], "fPort": 1}),
            None,
            limits(),
        );
        assert_eq!(res, Err(Error::Timeout(Duration::from_millis(200))));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn stops_a_script_that_allocates_without_bound() {
        let res = call(
            "function decodeUplink(input) { let a = []; while (true) { a.push('x'.repeat(1000)); } }",
            "decodeUplink",
            &json!({"bytes": [], "fPort": 1}),
            None,
            FormatterLimits {
                timeout: Duration::from_secs(5),
                memory_limit_bytes: 4 << 20,
            },
        );
        assert!(matches!(res, Err(Error::Script(_))), "{res:?}");
    }

    #[test]
    fn reports_throws_missing_functions_and_bad_results() {
        let input = json!({"bytes": [], "fPort": 1});
        let thrown = call(
            "function decodeUplink(i) { throw new Error('bad byte') }",
            "decodeUplink",
            &input,
            None,
            limits(),
        );
        assert_eq!(thrown, Err(Error::Script(String::from("bad byte"))));
        assert_eq!(
            call("var x = 1;", "decodeUplink", &input, None, limits()),
            Err(Error::Missing("decodeUplink"))
        );
        assert!(matches!(
            call(
                "function decodeUplink(i) { return 3 }",
                "decodeUplink",
                &input,
                None,
                limits()
            ),
            Err(Error::Output(_))
        ));
        assert!(matches!(
            call(
                "this is not javascript",
                "decodeUplink",
                &input,
                None,
                limits()
            ),
            Err(Error::Script(_))
        ));
        let errors = call(
            "function decodeUplink(i) { return { errors: ['unknown port'] } }",
            "decodeUplink",
            &input,
            None,
            limits(),
        )
        .unwrap();
        assert_eq!(errors.errors, ["unknown port"]);
    }
}
