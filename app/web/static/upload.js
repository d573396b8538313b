// Sends the chosen RUM/RSS file as the request body (streamed by dimqa to disk, never held whole)
// and shows the upload's progress. A file of dimqa: no inline script (Content-Security-Policy).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("envoi");
  if (!form) { return; }
  var input = document.getElementById("fichier");
  var bar = document.getElementById("progression");
  var text = document.getElementById("progression-texte");
  var result = document.getElementById("resultat");
  var button = form.querySelector("button[type=submit]");

  function show(percent) {
    bar.value = percent;
    bar.textContent = percent + " %";
    text.textContent = percent + " %";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = input.files && input.files[0];
    if (!file) { result.textContent = "Choisissez un fichier."; return; }
    var request = new XMLHttpRequest();
    request.open("POST", form.getAttribute("action"));
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.setRequestHeader("X-CSRF-Token", form.getAttribute("data-csrf"));
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { show(Math.round((e.loaded / e.total) * 100)); }
    });
    request.upload.addEventListener("load", function () {
      show(100);
      result.textContent = "Fichier envoyé, contrôle en cours…";
    });
    request.addEventListener("load", function () {
      button.disabled = false;
      var body = null;
      try { body = JSON.parse(request.responseText); } catch (ignored) { body = null; }
      if (request.status === 201 || request.status === 200) {
        result.textContent = (request.status === 201 ? "Lot n° " + body.id + " intégré : " :
          "Fichier déjà reçu (lot n° " + body.id + ") : ") +
          body.rss_accepted + " RSS accepté(s), " + body.rss_rejected + " rejeté(s), " +
          body.errors_total + " erreur(s) de ligne.";
        result.setAttribute("data-batch", String(body.id));
      } else {
        result.textContent = "Envoi refusé (" + request.status + ") : " +
          (body && body.detail ? body.detail : "erreur inattendue");
      }
    });
    request.addEventListener("error", function () {
      button.disabled = false;
      result.textContent = "Envoi interrompu : vérifiez la connexion et recommencez.";
    });
    button.disabled = true;
    show(0);
    result.textContent = "Envoi en cours…";
    request.send(file);
  });
});
