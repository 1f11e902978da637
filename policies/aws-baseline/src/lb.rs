//! Elastic load balancing (ALB/NLB) listeners.

use palisade_sdk::prelude::*;

pub fn policies() -> [ResourcePolicy; 1] {
    [ResourcePolicy::new(
        "aws-lb-listener-disallow-unencrypted-traffic",
        Severity::Critical,
        encrypted_listener,
    )
    .description("Checks that load balancer listeners do not serve plain HTTP, unless every default action redirects to HTTPS.")
    .types([
        "aws_lb_listener",
        "aws_alb_listener",
        "aws:lb/listener:Listener",
        "aws:alb/listener:Listener",
    ])
    .help("Use protocol HTTPS with a certificate, or make the HTTP listener's default action a redirect to HTTPS.")]
}

fn encrypted_listener(r: &Resource, _: &Config) -> Outcome {
    let protocol = r.configured().get("protocol");
    let Some(name) = protocol.str()? else {
        return undecided(
            "protocol is not set in the configuration: AWS chooses HTTP for an application load balancer and TCP \
             for a network load balancer.",
        );
    };
    if !name.eq_ignore_ascii_case("HTTP") {
        return Ok(());
    }
    let port = r.get("port");
    // Terraform: default_action = [{type, redirect = [{protocol}]}];
    // Pulumi: defaultActions = [{type, redirect: {protocol}}].
    let actions: Vec<_> = r.configured().get_any(&["default_action", "defaultActions"]).items()?.collect();
    if actions.is_empty() {
        return violation(format!(
            "Listener accepts unencrypted HTTP on port {} and has no redirect to HTTPS.",
            port.display()
        ));
    }
    all(actions.iter().map(|action| {
        let kind = action.get("type").str()?;
        let target = action.get("redirect").first().get("protocol").str()?;
        match (kind, target) {
            (Some(k), Some(p)) if k.eq_ignore_ascii_case("redirect") && p.eq_ignore_ascii_case("HTTPS") => Ok(()),
            _ => violation(format!(
                "Listener accepts unencrypted HTTP on port {} and its default action {} ({}) does not redirect to HTTPS.",
                port.display(),
                action.path_string(),
                action.get("type").display()
            )),
        }
    }))
}
