//! The top floor: how results are shown. Tables, JSON, YAML and names on stdout ([`report`]), and
//! kubectl's exact JSON layout for listed objects ([`kubectl_json`]).

pub mod kubectl_json;
pub mod kubectl_yaml;
pub mod report;
pub mod status;
