// Starts the vendored Swagger UI on the API docs page; the schema's address comes from
// the page (a data attribute), so the page needs no inline script.
document.addEventListener("DOMContentLoaded", () => {
  const target = document.getElementById("swagger-ui");
  if (!target || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: target.dataset.openapiUrl,
    domNode: target,
    deepLinking: true,
    // A key typed into Authorize lives only as long as the page: kept in localStorage it
    // outlived sign-out on a shared computer.
    persistAuthorization: false,
    docExpansion: "none", // areas open on demand: "list" stopped after two of eleven
  });
});
