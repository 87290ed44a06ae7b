// The AGRS query page: YASGUI aimed at this server's /sparql, with the project's prefixes and stored questions.
// It must make no request off this host (server/ui.py sets a Content-Security-Policy that enforces it): YASGUI's
// prefix autocompleter would call prefix.cc and its class and property autocompleters LOV, so they are replaced
// by ones that read the project's prefixes and ask this endpoint.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("agrs-ui-config").textContent);
  // YASGUI builds GET URLs with `new URL(endpoint)`, which needs an absolute URL.
  const endpoint = new URL(config.endpoint, window.location.href).href;
  const Yasqe = Yasgui.Yasqe;
  const RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
  const RDFS = "http://www.w3.org/2000/01/rdf-schema#";
  const OWL = "http://www.w3.org/2002/07/owl#";

  function askEndpoint(query) {
    return fetch(endpoint, {
      method: "POST",
      headers: {
        Accept: "application/sparql-results+json",
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ query: query }).toString(),
    }).then(function (answer) {
      if (!answer.ok) throw new Error("the endpoint answered " + answer.status);
      return answer.json();
    });
  }

  // Complete an IRI with the terms of the given types the store declares (the ontology is in the store).
  function declaredTerms(types, label) {
    return function (yasqe, token) {
      if (!token || !token.autocompletionString) return Promise.resolve([]);
      const kinds = types.map(function (iri) { return "<" + iri + ">"; }).join(" ");
      // JSON string escapes are valid SPARQL string escapes.
      const start = JSON.stringify(token.autocompletionString);
      const query =
        "SELECT DISTINCT ?term WHERE { VALUES ?kind { " + kinds + " } ?term a ?kind . " +
        "FILTER (isIRI(?term) && STRSTARTS(STR(?term), " + start + ")) } ORDER BY ?term LIMIT 100";
      return askEndpoint(query)
        .then(function (json) { return json.results.bindings.map(function (row) { return row.term.value; }); })
        .catch(function () {
          yasqe.showNotification("autocomplete_" + label, "Could not fetch " + label + " suggestions from this endpoint");
          return [];
        });
    };
  }

  const bundledPrefixes = Yasqe.Autocompleters.prefixes.get;
  Yasqe.forkAutocompleter("prefixes", {
    name: "agrs-prefixes",
    // Never cached in localStorage: a changed project prefix shows up on the next load.
    persistenceId: function () { return undefined; },
    get: function (yasqe) {
      const ours = Object.keys(config.prefixes).map(function (name) {
        return name + ": <" + config.prefixes[name] + ">";
      });
      return Promise.resolve(bundledPrefixes(yasqe)).then(function (bundled) {
        const taken = new Set(Object.keys(config.prefixes));
        return ours.concat(bundled.filter(function (line) { return !taken.has(line.split(":")[0]); })).sort();
      });
    },
  }, false);
  Yasqe.forkAutocompleter("property", {
    name: "agrs-property",
    get: declaredTerms([RDF + "Property", OWL + "ObjectProperty", OWL + "DatatypeProperty", OWL + "AnnotationProperty"],
      "property"),
  }, false);
  Yasqe.forkAutocompleter("class", {
    name: "agrs-class",
    get: declaredTerms([OWL + "Class", RDFS + "Class"], "class"),
  }, false);
  // YASGUI merges its config arrays index by index, so the default list is changed in place, not overridden.
  const completers = Yasqe.defaults.autocompleters;
  completers.splice(0, completers.length, "variables", "agrs-prefixes", "agrs-property", "agrs-class");
  Yasqe.defaults.prefixCcApi = null;

  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    persistenceId: "agrs-yasgui",
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { value: config.defaultQuery },
    yasr: { prefixes: config.prefixes },
  });

  const list = document.querySelector("#agrs-examples ul");
  config.examples.forEach(function (example) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "agrs-example";
    button.dataset.name = example.name;
    button.textContent = example.title;
    button.addEventListener("click", function () {
      yasgui.addTab(true, { name: example.name, yasqe: { value: example.query } }, { avoidDuplicateTabs: true });
    });
    item.appendChild(button);
    list.appendChild(item);
  });
  if (!config.examples.length) document.getElementById("agrs-examples").hidden = true;

  window.agrsYasgui = yasgui; // for the tests and the curious: the YASGUI instance
})();
