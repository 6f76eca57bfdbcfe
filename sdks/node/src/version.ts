/** The SDK's version: the payorch API's (the crate's `Cargo.toml` version); a test keeps them equal. */
export const VERSION = "0.1.0";
