//! Embedded ECGrid REST v2 sandbox (placeholder until the sandbox lands).
