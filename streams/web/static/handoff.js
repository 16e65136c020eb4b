/*
 * Handoff form snippet: posts a lead form to POST /v1/leads as JSON. No framework, no build step.
 *
 *   <form data-handoff-form data-handoff-endpoint="https://leads.example.com/v1/leads">
 *     <input type="hidden" name="form_id" value="demo-request">
 *     <input name="email" type="email" required> ...
 *     <output data-handoff-status></output>
 *   </form>
 *   <script src="https://leads.example.com/static/handoff.js" defer></script>
 *
 * Field names follow the LeadSubmitted schema; utm_source or utm[source] (and the same for
 * activity and consent) become nested objects. UTM parameters in the page URL fill the utm
 * fields the form leaves empty. One event_id is kept per form, so a retry after a network
 * error or a 503 is recognised as the same lead. The page's origin must be listed in the
 * form's allowed_origins on the server.
 */
(function () {
  "use strict";

  var NESTED = {
    utm: ["source", "medium", "campaign", "term", "content"],
    activity: ["page_views", "pricing_page_views", "content_downloads", "webinar_attended", "email_clicks"],
    consent: ["marketing", "processing"]
  };
  var RETRIES = 2;

  function newEventId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }

  function nestedKey(name) {
    for (var group in NESTED) {
      var sub = null;
      if (name.indexOf(group + "[") === 0 && name.charAt(name.length - 1) === "]") {
        sub = name.slice(group.length + 1, -1);
      } else if (name.indexOf(group + "_") === 0) {
        sub = name.slice(group.length + 1);
      }
      if (sub !== null && NESTED[group].indexOf(sub) >= 0) {
        return [group, sub];
      }
    }
    return null;
  }

  /** Build the LeadSubmitted JSON object from a form element. */
  function toLead(form) {
    var lead = {};
    new FormData(form).forEach(function (value, name) {
      if (typeof value !== "string") {
        return; // file inputs are not part of a lead
      }
      var nested = nestedKey(name);
      if (nested) {
        lead[nested[0]] = lead[nested[0]] || {};
        lead[nested[0]][nested[1]] = value;
      } else {
        lead[name] = value;
      }
    });
    var params = new URLSearchParams(window.location.search);
    NESTED.utm.forEach(function (key) {
      var value = params.get("utm_" + key);
      if (value && !(lead.utm && lead.utm[key])) {
        lead.utm = lead.utm || {};
        lead.utm[key] = value;
      }
    });
    if (!form.dataset.handoffEventId) {
      form.dataset.handoffEventId = newEventId();
    }
    lead.event_id = lead.event_id || form.dataset.handoffEventId;
    lead.submitted_at = new Date().toISOString();
    lead.page_url = lead.page_url || window.location.href;
    if (document.referrer && !lead.referrer) {
      lead.referrer = document.referrer;
    }
    return lead;
  }

  function defaultEndpoint() {
    var script = document.currentScript;
    var base = script && script.src ? new URL(script.src) : window.location;
    return base.origin + "/v1/leads";
  }
  var DEFAULT_ENDPOINT = defaultEndpoint();

  function post(endpoint, lead, attempt) {
    return window.fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(lead),
      credentials: "omit",
      mode: "cors"
    }).then(function (response) {
      if ((response.status === 503 || response.status === 429) && attempt < RETRIES) {
        var after = parseInt(response.headers.get("Retry-After") || "", 10);
        return wait(attempt, after).then(function () { return post(endpoint, lead, attempt + 1); });
      }
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body };
      });
    }, function (error) {
      if (attempt < RETRIES) {
        return wait(attempt).then(function () { return post(endpoint, lead, attempt + 1); });
      }
      throw error;
    });
  }

  /** Back off 0.5 s, 1 s, …, or as the server's Retry-After says (at most 10 s: a person is waiting). */
  function wait(attempt, retryAfterS) {
    var ms = retryAfterS > 0 ? Math.min(retryAfterS * 1000, 10000) : 500 * Math.pow(2, attempt);
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function show(form, state, text) {
    form.setAttribute("data-handoff-state", state);
    var status = form.querySelector("[data-handoff-status]");
    if (status) {
      status.textContent = text;
    }
    form.dispatchEvent(new CustomEvent("handoff:" + state, { detail: text, bubbles: true }));
  }

  /** Make a form post its fields to Handoff instead of navigating. */
  function attach(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var endpoint = form.getAttribute("data-handoff-endpoint") || DEFAULT_ENDPOINT;
      var button = form.querySelector("[type=submit]");
      if (button) { button.disabled = true; }
      show(form, "sending", form.getAttribute("data-handoff-sending") || "Sending…");
      post(endpoint, toLead(form), 0).then(function (result) {
        if (result.status === 202) {
          form.reset();
          delete form.dataset.handoffEventId;
          show(form, "sent", form.getAttribute("data-handoff-sent") || "Thank you, we will be in touch.");
        } else if (result.status === 422 && result.body.fields) {
          var names = result.body.fields.map(function (f) { return f.path; }).join(", ");
          show(form, "invalid", "Please check: " + names);
        } else {
          show(form, "failed", "Sorry, that did not go through (" + result.status + "). Please try again.");
        }
      }, function () {
        show(form, "failed", "Sorry, the network failed. Please try again.");
      }).then(function () {
        if (button) { button.disabled = false; }
      });
    });
  }

  function attachAll() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-handoff-form]"), attach);
  }

  window.Handoff = { attach: attach, toLead: toLead };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", attachAll);
  } else {
    attachAll();
  }
})();
