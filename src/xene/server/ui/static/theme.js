// Before the page paints: the theme the viewer chose (else the system's), no flash.
(function () {
  var chosen = localStorage.getItem("xene-theme");
  if (chosen) document.documentElement.dataset.theme = chosen;
})();
