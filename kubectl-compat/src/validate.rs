//! The offline manifest checker behind `ank validate`: input collection, the report model and
//! one output formatter per file.
