(module $seven (func $seven (export "seven") (result i32) i32.const 7))
