// Swagger UI over the app's own openapi.json (kept in a file: the page's CSP allows no inline script).
(function () {
  var root = document.querySelector('meta[name="root-path"]').content || "";
  if (window.SwaggerUIBundle) {
    window.SwaggerUIBundle({ url: root + "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
  }
})();
