#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| certscan::fuzz::revocation(data));
