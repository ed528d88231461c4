//! Prepares a compiled template for a bounded render: refuses partials and decorators (a
//! partial may call itself, which no budget sees before the stack overflows) and puts a
//! `__step` call at the start of every block body, so each `#each` iteration and each branch
//! taken costs a step even when it writes nothing. Structural: the parsed template is walked,
//! never its text.

use handlebars::template::{Template, TemplateElement};

use super::budget::STEP_HELPER;

/// Why a template is refused before rendering.
pub(crate) const NO_PARTIALS: &str =
    "partials and decorators ({{> name}}, {{#> name}}, {{* name}}) are not supported in templates";

/// `template`, every block body starting with a step; an error for a partial or decorator.
pub(crate) fn prepare(mut template: Template) -> Result<Template, &'static str> {
    let step = step_element()?;
    instrument(&mut template, &step, false)?;
    Ok(template)
}

/// The compiled `{{__step}}` element.
fn step_element() -> Result<TemplateElement, &'static str> {
    Template::compile(&format!("{{{{{STEP_HELPER}}}}}"))
        .ok()
        .and_then(|t| t.elements.into_iter().next())
        .ok_or("internal error: the step helper does not compile")
}

/// Walks `template`; a block body (`is_body`) gets the step as its first element.
fn instrument(
    template: &mut Template,
    step: &TemplateElement,
    is_body: bool,
) -> Result<(), &'static str> {
    for element in &mut template.elements {
        match element {
            TemplateElement::HelperBlock(block) => {
                if let Some(body) = block.template.as_mut() {
                    instrument(body, step, true)?;
                }
                if let Some(inverse) = block.inverse.as_mut() {
                    instrument(inverse, step, true)?;
                }
            }
            TemplateElement::RawString(_)
            | TemplateElement::HtmlExpression(_)
            | TemplateElement::Expression(_)
            | TemplateElement::Comment(_) => {}
            // Partials, decorators and whatever a later Handlebars adds: nothing we can bound.
            _ => return Err(NO_PARTIALS),
        }
    }
    if is_body {
        // Errors are located through `mapping`, index by index: keep the two aligned.
        if let Some(at) = template.mapping.first().cloned() {
            template.mapping.insert(0, at);
        }
        template.elements.insert(0, step.clone());
    }
    Ok(())
}
