// htmx 2 swaps no 4xx answer by default. Our htmx forms answer a refusal with 422 and the
// form again, its errors next to the fields and what was typed kept (or the refusal where
// the result would have gone): swap those in place, as a success would be.
htmx.config.responseHandling.unshift({ code: "422", swap: true, error: false });
