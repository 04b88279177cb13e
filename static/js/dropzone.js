// Drag and drop onto an upload form's file field: a file dropped on [data-dropzone] becomes
// the field's file (the form still posts as without JavaScript; the field works on its own).
(function () {
  "use strict";
  function setUp(zone) {
    var input = zone.querySelector('input[type="file"]');
    if (!input) return;
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dropzone-over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dropzone-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) return;
      var picked = new DataTransfer();
      picked.items.add(files[0]);
      input.files = picked.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }
  function start() { document.querySelectorAll("[data-dropzone]").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
