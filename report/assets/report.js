// Side-by-side playback: two to four videos under one control, kept within one frame of each other.
// The first video is the clock; the others follow it, and are nudged back whenever they drift by
// more than half a frame (their own decoders run at slightly different speeds).
"use strict";
(function () {
  const panel = document.getElementById("side-by-side");
  const stage = panel.querySelector(".stage");
  const play = panel.querySelector(".play"), scrub = panel.querySelector(".scrub");
  const time = panel.querySelector(".time"), speed = panel.querySelector(".speed");
  const FRAME = 1 / 30;
  let videos = [];

  function leader() { return videos[0]; }
  function follow() {
    const lead = leader();
    if (!lead) return;
    for (const other of videos.slice(1)) {
      const target = Math.min(lead.currentTime, (other.duration || Infinity) - 0.001);
      if (Math.abs(other.currentTime - target) > FRAME / 2) other.currentTime = target;
      if (lead.paused !== other.paused) lead.paused ? other.pause() : other.play();
    }
    if (lead.duration) scrub.value = String(Math.round(1000 * lead.currentTime / lead.duration));
    time.textContent = lead.currentTime.toFixed(2) + " s";
  }
  function tick() { follow(); if (videos.length && !leader().paused) requestAnimationFrame(tick); }

  function rebuild() {
    const picked = [...document.querySelectorAll("input.compare:checked")].slice(0, 4);
    stage.replaceChildren();
    videos = picked.map((box) => {
      const original = box.closest("figure").querySelector("video");
      const copy = original.cloneNode(true);
      copy.removeAttribute("controls");
      copy.muted = true;
      copy.playbackRate = Number(speed.value);
      const frame = document.createElement("figure");
      const caption = document.createElement("figcaption");
      caption.textContent = original.dataset.label;
      frame.append(copy, caption);
      stage.append(frame);
      return copy;
    });
    panel.hidden = videos.length < 2;
    play.textContent = "Play";
  }

  document.addEventListener("change", (event) => {
    if (!event.target.classList.contains("compare")) return;
    if (document.querySelectorAll("input.compare:checked").length > 4) { event.target.checked = false; return; }
    rebuild();
  });
  play.addEventListener("click", () => {
    if (!videos.length) return;
    if (leader().paused) { videos.forEach((v) => v.play()); play.textContent = "Pause"; requestAnimationFrame(tick); }
    else { videos.forEach((v) => v.pause()); play.textContent = "Play"; follow(); }
  });
  scrub.addEventListener("input", () => {
    const lead = leader();
    if (!lead || !lead.duration) return;
    const at = lead.duration * Number(scrub.value) / 1000;
    videos.forEach((v) => { v.currentTime = Math.min(at, (v.duration || at) - 0.001); });
    time.textContent = at.toFixed(2) + " s";
  });
  speed.addEventListener("change", () => videos.forEach((v) => { v.playbackRate = Number(speed.value); }));
  panel.querySelector(".clear").addEventListener("click", () => {
    document.querySelectorAll("input.compare:checked").forEach((box) => { box.checked = false; });
    rebuild();
  });
  window.sideBySide = { videos: () => videos, play: () => play.click(), seek: (fraction) => { scrub.value = String(Math.round(1000 * fraction)); scrub.dispatchEvent(new Event("input")); } };
})();

// A figure opens full size on click: as large as the window allows, its shape kept (figures are drawn
// at 300 dpi, so this is usually a scaled-down view of more pixels). A click or Escape closes it.
(function () {
  let overlay = null, big = null;  // made on the first click: an empty image would count as a broken one
  function fit() {
    if (!overlay || overlay.hidden || !big.naturalWidth) return;
    const scale = Math.min(window.innerWidth / big.naturalWidth, window.innerHeight / big.naturalHeight);
    big.style.width = big.naturalWidth * scale + "px";
    big.style.height = big.naturalHeight * scale + "px";
  }
  function open(figure) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "full-size";
      big = document.createElement("img");
      big.addEventListener("load", fit);
      overlay.append(big);
      document.body.append(overlay);
    }
    big.alt = figure.alt;
    big.src = figure.src;
    overlay.hidden = false;
    fit();
  }
  window.addEventListener("resize", fit);
  document.addEventListener("click", (event) => {
    const figure = event.target.closest("figure.still img");
    if (figure) open(figure);
    else if (overlay && !overlay.hidden && overlay.contains(event.target)) overlay.hidden = true;
  });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape" && overlay) overlay.hidden = true; });
})();
