// The latent explorer: a run's recorded steps drawn live in a <canvas>, as the trajectories video
// draws them (render/views/trajectories): circles of radius r = (sigma_x^2 sigma_y^2)^(1/4) at the
// means, class colours, fading trails, equal units on both axes, a camera that fits the selected
// steps or follows the digits (camera.py's follow camera, one recorded step a frame at 30 frames/s).
// Each run's data is a script written by report/explorer.py, loaded when its explorer comes into
// view (pages opened from disk cannot fetch). Plain JavaScript; nothing leaves the disk. What the
// video's look is made of (colours, alphas, line widths, text sizes, the camera's margin, smoothing and
// rate of zoom, ...) comes with the data, as `look` (the view's LOOK, render/views/trajectories/look.py):
// nothing of it is copied here.
"use strict";
(function () {
  const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16, 64];
  const TRAILS = [0, 4, 12, 30];
  const MINUS = "\u2212";
  const explorers = [];

  // -- decoding the data ------------------------------------------------------------------------
  const HALF = (() => {
    const table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
      table[h] = exponent === 0 ? sign * fraction * 2 ** -24
        : exponent === 31 ? (fraction ? NaN : sign * Infinity)
        : sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
    }
    return table;
  })();

  function decode(array) {
    const text = atob(array.data), bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    if (array.dtype === "float32") return new Float32Array(bytes.buffer);
    const words = new Uint16Array(bytes.buffer);
    if (array.dtype === "uint16") return words;
    if (array.dtype === "fixed16") {  // codes over [low, high] of each latent variable (explorer.py's from_fixed16)
      const d = array.low.length, scale = array.low.map((low, j) => (array.high[j] - low) / 65535), out = new Float64Array(words.length);
      for (let i = 0; i < words.length; i++) out[i] = array.low[i % d] + words[i] * scale[i % d];
      return out;
    }
    const out = new Float32Array(words.length);
    for (let i = 0; i < words.length; i++) out[i] = HALF[words[i]];
    return out;
  }

  function rgba(hex, alpha) {
    const v = parseInt(hex.slice(1), 16);
    return `rgba(${v >> 16},${(v >> 8) & 255},${v & 255},${alpha})`;
  }

  class Run {
    constructor(data) {
      this.data = data;
      this.name = data.name;
      this.title = data.title;
      this.variational = data.variational;
      this.d = data.latentDim;
      this.labels = data.labels;
      this.indices = data.indices;
      this.n = data.labels.length;
      this.mu = decode(data.mu);
      this.logvar = data.logvar ? decode(data.logvar) : null;
      this.epoch = decode(data.epoch);
      this.batch = decode(data.batch);
      this.loss = decode(data.loss);
      this.count = this.epoch.length;
      this.kept = data.kept ? Int32Array.from(data.kept) : null;
      this.look = data.look;
      this.sprite = new Image();
      this.sprite.src = data.sprite;
    }
    recorded(k) { return this.kept ? this.kept[k] : k; }
    // The last step in the file at or before recorded step `step` (thinned runs keep every k-th).
    at(step) {
      if (!this.kept) return Math.min(step, this.count - 1);
      let lo = 0, hi = this.count - 1;
      while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (this.kept[mid] <= step) lo = mid; else hi = mid - 1; }
      return lo;
    }
    x(k, i, dim) { return this.mu[(k * this.n + i) * this.d + dim]; }
    radius(k, i, dx, dy) {
      if (!this.variational) return 0;
      const base = (k * this.n + i) * this.d;
      return Math.exp((this.logvar[base + dx] + this.logvar[base + dy]) / 4);
    }
    counter(k) {
      const epoch = this.epoch[k];
      if (epoch === 0) return "before training";
      return `epoch ${epoch} \u00b7 batch ${this.batch[k] + 1}/${this.data.batchesPerEpoch[epoch]}`;
    }
  }

  // -- the camera (camera.py) --------------------------------------------------------------------
  function unitsPerPx(halfX, halfY, box, pad) {
    return Math.max(halfX / Math.max(box.w / 2 - pad, 1), halfY / Math.max(box.h / 2 - pad, 1));
  }
  function holding(lowX, lowY, highX, highY, box, pad, look) {
    const halfX = Math.max((highX - lowX) / 2, 1e-3) * (1 + look.margin), halfY = Math.max((highY - lowY) / 2, 1e-3) * (1 + look.margin);
    return [(lowX + highX) / 2, (lowY + highY) / 2, unitsPerPx(halfX, halfY, box, pad)];
  }
  function gaussian(values, sigma, reach) {
    const kernel = [];
    let total = 0;
    for (let j = -reach; j <= reach; j++) { const w = Math.exp(-0.5 * (j / sigma) ** 2); kernel.push(w); total += w; }
    const n = values.length, out = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      let sum = 0;
      for (let j = -reach; j <= reach; j++) sum += kernel[j + reach] * values[Math.min(Math.max(t + j, 0), n - 1)];
      out[t] = sum / total;
    }
    return out;
  }
  function followViews(low, high, box, pad, look) {  // low, high: [xs, ys] per position; one step a frame at look.fps
    const n = low[0].length, fps = look.fps, sigma = Math.max(look.smoothSeconds * fps, 1), reach = Math.ceil(3 * sigma);
    const center = [0, 1].map((a) => gaussian(low[a].map((v, t) => (v + high[a][t]) / 2), sigma, reach));
    const needed = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      const half = [0, 1].map((a) => Math.max(Math.max(high[a][t] - center[a][t], center[a][t] - low[a][t]), 1e-3) * (1 + look.margin));
      needed[t] = Math.log(unitsPerPx(half[0], half[1], box, pad));
    }
    const ahead = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      let most = -Infinity;
      for (let j = Math.max(t - reach, 0); j <= Math.min(t + reach, n - 1); j++) most = Math.max(most, needed[j]);
      ahead[t] = most;
    }
    const rate = Math.log(look.maxZoomPerSecond) / fps;
    for (let t = 1; t < n; t++) ahead[t] = Math.max(ahead[t], ahead[t - 1] - rate);
    for (let t = n - 2; t >= 0; t--) ahead[t] = Math.max(ahead[t], ahead[t + 1] - rate);
    const zoom = gaussian(ahead, sigma, reach);
    const views = new Float64Array(3 * n);
    for (let t = 0; t < n; t++) { views[3 * t] = center[0][t]; views[3 * t + 1] = center[1][t]; views[3 * t + 2] = Math.exp(zoom[t]); }
    return views;
  }

  // -- grid ticks (MaxNLocator with the look's tickSteps) and their labels ------------------------
  function ticks(low, high, bins, steps) {
    const raw = (high - low) / bins, scale = 10 ** Math.floor(Math.log10(raw));
    const step = steps.map((s) => s * scale).find((s) => s >= raw * (1 - 1e-9));
    const values = [];
    for (let v = Math.ceil(low / step) * step; v <= high + 1e-9 * step; v += step) values.push(Math.round(v / step) * step);
    return values;
  }
  function tickTexts(values) {
    let decimals = 6;
    for (let d = 0; d < 7; d++) if (values.every((v) => Math.abs(Number(v.toFixed(d)) - v) <= 1e-9)) { decimals = d; break; }
    return values.map((v) => (Math.abs(v) < 0.5 * 10 ** -decimals ? 0 : v).toFixed(decimals).replace("-", MINUS));
  }

  function element(tag, className, parent, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    if (parent) parent.append(node);
    return node;
  }

  // -- one run's plane ---------------------------------------------------------------------------
  class Plane {
    constructor(explorer, run, parent) {
      this.explorer = explorer;
      this.run = run;
      this.wrap = element("div", "explorer-plane", parent);
      element("div", "explorer-title", this.wrap, run.title);
      this.canvas = element("canvas", "", this.wrap);
      this.canvas.setAttribute("aria-label", `latent plane of ${run.name}`);
      this.ctx = this.canvas.getContext("2d");
      this.tip = element("div", "explorer-tip", this.wrap);
      this.tip.hidden = true;
      this.tipImage = element("canvas", "", this.tip);
      this.tipImage.width = this.tipImage.height = 28;
      this.tipText = element("div", "", this.tip);
      const look = run.look, edge = look.edgeAlpha;
      this.fill = look.colors.map((c) => rgba(c, run.variational ? look.fillAlpha : look.dotFillAlpha));
      this.edge = look.colors.map((c) => rgba(c, edge));
      this.trailColors = look.colors.map((c) => Array.from({ length: look.trailLevels }, (_, lvl) => rgba(c, look.trailAlpha * (1 - lvl / look.trailLevels))));
      this.classes = [...new Set(run.labels)].sort((a, b) => a - b).map((label) => [label, run.labels.flatMap((l, i) => (l === label ? [i] : []))]);
      this.px = new Float64Array(2 * run.n);
      this.rpx = new Float64Array(run.n);
      this.canvas.addEventListener("pointermove", (event) => this.hover(event));
      this.canvas.addEventListener("pointerleave", () => { this.explorer.hovered = null; this.tip.hidden = true; this.explorer.draw(); });
      this.canvas.addEventListener("click", (event) => this.pin(event));
    }

    size(width, height) {
      this.canvas.width = width;
      this.canvas.height = height;
      const look = this.run.look, text = Math.max(11, look.text * height);
      const left = Math.round(look.gutter * text), bottom = Math.round(2.0 * text), top = Math.round(0.6 * text), right = Math.round(0.8 * text);
      this.text = text;
      this.box = { x: left, y: top, w: Math.max(width - left - right, 1), h: Math.max(height - top - bottom, 1) };
      this.scale = height / look.referenceHeight;  // line widths as the video's at this frame height
      this.dotPx = look.dotRadius * height;
      this.pad = this.dotPx + 2 * look.aaPadPx;
    }

    toPx(x, y, view) {
      const b = this.box;
      return [b.x + b.w / 2 + (x - view[0]) / view[2], b.y + b.h / 2 - (y - view[1]) / view[2]];
    }

    // Latent extents of every circle at each selected position: [[lowX], [lowY]], [[highX], [highY]].
    extents(ks, dx, dy) {
      const run = this.run, n = ks.length, low = [new Float64Array(n), new Float64Array(n)], high = [new Float64Array(n), new Float64Array(n)];
      for (let t = 0; t < n; t++) {
        let lx = Infinity, ly = Infinity, hx = -Infinity, hy = -Infinity;
        for (let i = 0; i < run.n; i++) {
          const x = run.x(ks[t], i, dx), y = run.x(ks[t], i, dy), r = run.radius(ks[t], i, dx, dy);
          lx = Math.min(lx, x - r); hx = Math.max(hx, x + r); ly = Math.min(ly, y - r); hy = Math.max(hy, y + r);
        }
        low[0][t] = lx; low[1][t] = ly; high[0][t] = hx; high[1][t] = hy;
      }
      return [low, high];
    }

    draw(position, view) {
      const ctx = this.ctx, run = this.run, ex = this.explorer, b = this.box, look = run.look, theme = look.theme, s = this.scale;
      const [dx, dy] = ex.dims, ks = ex.ks[this.index], k = ks[position];
      ctx.fillStyle = theme.background;
      ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
      // grid and tick labels
      const halfW = view[2] * b.w / 2, halfH = view[2] * b.h / 2;
      const xs = ticks(view[0] - halfW, view[0] + halfW, Math.max(2, Math.round(b.w / (look.tickSpacing * this.text))), look.tickSteps);
      const ys = ticks(view[1] - halfH, view[1] + halfH, Math.max(2, Math.round(b.h / (look.tickSpacing * this.text))), look.tickSteps);
      // grid lines as thin rectangles: a stroked path as large as the plane costs ten times more to fill
      const line = Math.max(1, look.gridLine * s);
      ctx.fillStyle = theme.grid;
      for (const v of xs) { const p = this.toPx(v, 0, view)[0]; if (p > b.x && p < b.x + b.w) ctx.fillRect(p - line / 2, b.y, line, b.h); }
      for (const v of ys) { const p = this.toPx(0, v, view)[1]; if (p > b.y && p < b.y + b.h) ctx.fillRect(b.x, p - line / 2, b.w, line); }
      ctx.fillStyle = theme.muted;
      ctx.font = `${Math.round(look.tickText * this.text)}px system-ui, sans-serif`;
      ctx.textAlign = "center"; ctx.textBaseline = "top";
      tickTexts(xs).forEach((t, j) => ctx.fillText(t, this.toPx(xs[j], 0, view)[0], b.y + b.h + look.tickGap * this.text));
      ctx.textAlign = "right"; ctx.textBaseline = "middle";
      tickTexts(ys).forEach((t, j) => ctx.fillText(t, b.x - look.tickGap * this.text, this.toPx(0, ys[j], view)[1]));
      ctx.save();
      ctx.beginPath();
      ctx.rect(b.x, b.y, b.w, b.h);
      ctx.clip();
      // trails: the last `trail` positions, fading in `trailLevels` steps, one path per (level, class),
      // each digit's segments of a level one polyline (a path's stroke covers its overlaps once, as matplotlib's)
      const trail = ex.trail, levels = look.trailLevels;
      if (trail > 1 && position > 0) {
        const first = Math.max(0, position - trail + 1), points = position - first + 1, segments = points - 1;
        const xy = this.trailXY && this.trailXY.length >= 2 * points * run.n ? this.trailXY : (this.trailXY = new Float64Array(2 * Math.max(points, trail) * run.n));
        for (let j = 0; j < points; j++) {
          const a = ks[first + j];
          for (let i = 0; i < run.n; i++) {
            const p = this.toPx(run.x(a, i, dx), run.x(a, i, dy), view);
            xy[2 * (j * run.n + i)] = p[0]; xy[2 * (j * run.n + i) + 1] = p[1];
          }
        }
        ctx.lineWidth = Math.max(1, look.trailLine * s) * look.dpi / 72;
        ctx.lineCap = "butt"; ctx.lineJoin = "bevel";  // round ends differ by under a pixel at this width, and cost more
        for (let lvl = 0; lvl < levels; lvl++) {
          let from = -1, to = -1;  // the segments of this level: a contiguous run of ages
          for (let j = 0; j < segments; j++) {
            const age = segments - 1 - j;
            if (Math.min(Math.floor(age * levels / Math.max(trail - 1, 1)), levels - 1) === lvl) { if (from < 0) from = j; to = j; }
          }
          if (from < 0) continue;
          for (const [label, rows] of this.classes) {
            ctx.beginPath();
            for (const i of rows) {
              ctx.moveTo(xy[2 * (from * run.n + i)], xy[2 * (from * run.n + i) + 1]);
              for (let j = from + 1; j <= to + 1; j++) ctx.lineTo(xy[2 * (j * run.n + i)], xy[2 * (j * run.n + i) + 1]);
            }
            ctx.strokeStyle = this.trailColors[label][lvl]; ctx.stroke();
          }
        }
      }
      // the pinned digits' whole paths over the selected steps
      for (const i of ex.pinned) {
        ctx.beginPath();
        for (let t = 0; t < ks.length; t++) {
          const p = this.toPx(run.x(ks[t], i, dx), run.x(ks[t], i, dy), view);
          t ? ctx.lineTo(p[0], p[1]) : ctx.moveTo(p[0], p[1]);
        }
        ctx.strokeStyle = this.edge[run.labels[i]];
        ctx.lineWidth = Math.max(1, 1.2 * s) * look.dpi / 72;
        ctx.lineCap = "round"; ctx.lineJoin = "round";
        ctx.stroke();
      }
      // circles (or dots, without sampling), one path per class
      for (let i = 0; i < run.n; i++) {
        const p = this.toPx(run.x(k, i, dx), run.x(k, i, dy), view);
        this.px[2 * i] = p[0]; this.px[2 * i + 1] = p[1];
        this.rpx[i] = run.variational ? run.radius(k, i, dx, dy) / view[2] : this.dotPx;
      }
      // the outline, a line of the video's width centred on the circle, filled as a ring (cheaper than a stroke)
      const half = Math.max(1, look.edgeLine * s) * look.dpi / 72 / 2;
      for (const [label, rows] of this.classes) {
        ctx.beginPath();
        for (const i of rows) { ctx.moveTo(this.px[2 * i] + this.rpx[i], this.px[2 * i + 1]); ctx.arc(this.px[2 * i], this.px[2 * i + 1], this.rpx[i], 0, 2 * Math.PI); }
        ctx.fillStyle = this.fill[label]; ctx.fill();
        ctx.beginPath();
        for (const i of rows) {
          const x = this.px[2 * i], y = this.px[2 * i + 1], outer = this.rpx[i] + half, inner = Math.max(this.rpx[i] - half, 0);
          ctx.moveTo(x + outer, y); ctx.arc(x, y, outer, 0, 2 * Math.PI);
          ctx.moveTo(x + inner, y); ctx.arc(x, y, inner, 2 * Math.PI, 0, true);
        }
        ctx.fillStyle = this.edge[label]; ctx.fill();
      }
      const marked = [...ex.pinned, ...(ex.hovered === null ? [] : [ex.hovered])];
      if (marked.length) {
        ctx.beginPath();
        for (const i of marked) { const r = this.rpx[i] + 3 * s + 2; ctx.moveTo(this.px[2 * i] + r, this.px[2 * i + 1]); ctx.arc(this.px[2 * i], this.px[2 * i + 1], r, 0, 2 * Math.PI); }
        ctx.strokeStyle = theme.foreground; ctx.lineWidth = Math.max(1, 1.2 * s) * look.dpi / 72; ctx.stroke();
      }
      ctx.restore();
      this.k = k;
      if (ex.hovered !== null && !this.tip.hidden) this.describe(ex.hovered);
    }

    // The digit under the pointer: the nearest centre whose circle (or a finger's width) holds it.
    digitAt(event) {
      const rect = this.canvas.getBoundingClientRect();
      const x = (event.clientX - rect.left) * this.canvas.width / rect.width, y = (event.clientY - rect.top) * this.canvas.height / rect.height;
      const reach = 10 * this.canvas.width / rect.width;
      let best = null, bestDistance = Infinity;
      for (let i = 0; i < this.run.n; i++) {
        const distance = Math.hypot(x - this.px[2 * i], y - this.px[2 * i + 1]);
        if (distance <= Math.max(this.rpx[i], reach) && distance < bestDistance) { best = i; bestDistance = distance; }
      }
      return [best, event.clientX - rect.left, event.clientY - rect.top];
    }

    hover(event) {
      const [digit, x, y] = this.digitAt(event);
      const changed = digit !== this.explorer.hovered;
      this.explorer.hovered = digit;
      this.tip.hidden = digit === null;
      if (digit !== null) {
        this.describe(digit);
        this.tip.style.left = `${Math.min(x + 16, this.wrap.clientWidth - 260)}px`;
        this.tip.style.top = `${y + 16}px`;
      }
      if (changed) this.explorer.draw();
    }

    pin(event) {
      const [digit] = this.digitAt(event);
      if (digit === null) return;
      const pinned = this.explorer.pinned;
      pinned.has(digit) ? pinned.delete(digit) : pinned.add(digit);
      this.explorer.hovered = digit;
      this.tip.hidden = false;
      this.explorer.draw();
    }

    describe(i) {
      const run = this.run, [dx, dy] = this.explorer.dims, k = this.k, cols = run.data.spriteColumns;
      const ctx = this.tipImage.getContext("2d");
      ctx.clearRect(0, 0, 28, 28);
      if (run.sprite.complete) ctx.drawImage(run.sprite, (i % cols) * 28, Math.floor(i / cols) * 28, 28, 28, 0, 0, 28, 28);
      const f = (v) => v.toFixed(3).replace("-", MINUS);
      const size = run.variational ? `radius r ${f(run.radius(k, i, dx, dy))}` : "a dot: trained without sampling, no variance";
      this.tipText.replaceChildren();
      for (const line of [`digit ${run.labels[i]}${this.explorer.pinned.has(i) ? " (pinned)" : ""}`, `training-set index ${run.indices[i]}`,
        `mean (${f(run.x(k, i, dx))}, ${f(run.x(k, i, dy))}) on z${dx + 1}, z${dy + 1}`, size, run.counter(k)]) element("div", "", this.tipText, line);
      this.tip.dataset.digit = String(i);
    }
  }

  // -- one explorer: one run, or several stepped together under one slider -----------------------
  class Explorer {
    constructor(root, runs, options = {}) {
      this.root = root;
      this.runs = runs;
      this.lead = runs[0];
      this.dims = [0, 1];
      this.trail = 12;
      this.camera = "fit";
      this.speed = 1;
      this.pinned = new Set();
      this.hovered = null;
      this.position = 0;
      this.playing = false;
      this.fixedSize = null;
      root.replaceChildren();
      root.tabIndex = 0;
      const planes = element("div", "explorer-planes", root);
      this.planes = runs.map((run, index) => { const plane = new Plane(this, run, planes); plane.index = index; return plane; });
      const legend = element("div", "explorer-legend", root);
      for (const label of [...new Set(this.lead.labels)].sort((a, b) => a - b)) {
        const item = element("span", "", legend);
        element("i", "", item).style.background = this.lead.look.colors[label];
        item.append(String(label));
      }
      const controls = element("div", "explorer-controls", root);
      this.playButton = element("button", "explorer-play", controls, "Play");
      this.playButton.type = "button";
      this.slider = element("input", "explorer-slider", controls);
      Object.assign(this.slider, { type: "range", min: "0", step: "1", value: "0" });
      this.slider.setAttribute("aria-label", "recorded step");
      this.counter = element("span", "explorer-counter", controls);
      const menu = (label, values, chosen, show) => {
        const wrap = element("label", "", controls, label + " ");
        const select = element("select", "", wrap);
        values.forEach((value) => { const option = element("option", "", select, show ? show(value) : String(value)); option.value = String(value); });
        select.value = String(chosen);
        return select;
      };
      this.speedMenu = menu("speed", SPEEDS, 1, (v) => `${v}x`);
      this.cameraMenu = menu("camera", ["fit", "follow"], "fit", (v) => (v === "fit" ? "fit the steps" : "follow the digits"));
      this.trailMenu = menu("trail", TRAILS, 12);
      const epochs = Object.keys(this.lead.data.batchesPerEpoch).map(Number).sort((a, b) => a - b);
      const lastEpoch = epochs[epochs.length - 1];
      const [first, last] = options.epochs ? options.epochs.split("-").map(Number) : [NaN, NaN];
      const from = Number.isFinite(first) ? Math.min(first, lastEpoch) : 0;
      const to = Number.isFinite(last) ? Math.min(last, lastEpoch) : Number.isFinite(first) ? Math.max(from, 1) : lastEpoch;
      this.fromMenu = menu("epochs", [0, ...epochs], from, (v) => (v === 0 ? "before training" : String(v)));
      this.toMenu = menu("to", epochs, to);
      if (this.lead.d > 2) {
        const pairs = [];
        for (let a = 0; a < this.lead.d; a++) for (let c = a + 1; c < this.lead.d; c++) pairs.push(`${a},${c}`);
        this.dimsMenu = menu("dims", pairs, "0,1", (v) => v.split(",").map((x) => `z${Number(x) + 1}`).join(", "));
      }
      const losses = element("div", "explorer-losses", root);
      this.lossCanvas = element("canvas", "", losses);
      this.cursor = element("div", "explorer-cursor", losses);
      this.readout = element("div", "explorer-readout", root);
      const notes = runs.map((run) => run.data.note && `${run.name}: ${run.data.note}`).filter(Boolean);
      if (runs.length > 1 && runs.some((run) => run.kept)) notes.push("Each run shows its last step in its file at or before the slider's step.");
      for (const note of notes) element("p", "explorer-note", root, note);
      element("p", "explorer-hint", root, "\u2190 \u2192 step one batch (Shift: ten), space plays; hover or tap a circle for its digit, click to pin it and draw its whole path.");
      this.wire();
      this.select();
      this.observe();
    }

    wire() {
      this.playButton.addEventListener("click", () => (this.playing ? this.pause() : this.play()));
      this.slider.addEventListener("input", () => this.show(Number(this.slider.value)));
      this.speedMenu.addEventListener("change", () => { this.speed = Number(this.speedMenu.value); });
      this.cameraMenu.addEventListener("change", () => { this.camera = this.cameraMenu.value; this.resized(); });
      this.trailMenu.addEventListener("change", () => { this.trail = Number(this.trailMenu.value); this.draw(); });
      this.fromMenu.addEventListener("change", () => this.select());
      this.toMenu.addEventListener("change", () => this.select());
      if (this.dimsMenu) this.dimsMenu.addEventListener("change", () => { this.dims = this.dimsMenu.value.split(",").map(Number); this.select(); });
      this.root.addEventListener("keydown", (event) => {
        if (event.target.tagName === "SELECT" || event.target.tagName === "BUTTON" && event.key === " ") return;
        const by = event.shiftKey ? 10 : 1;
        if (event.key === "ArrowRight" || event.key === "ArrowLeft") this.show(this.position + (event.key === "ArrowRight" ? by : -by));
        else if (event.key === "Home" || event.key === "End") this.show(event.key === "Home" ? 0 : this.length - 1);
        else if (event.key === " ") this.playing ? this.pause() : this.play();
        else return;
        event.preventDefault();
      });
    }

    observe() {
      if (typeof ResizeObserver === "undefined") return this.fit();
      new ResizeObserver(() => this.fit()).observe(this.root);
    }

    resized() { this.fit(); this.reframe(); this.show(this.position); }

    // Size each canvas to its box on screen (device pixels), or to `size(width, height)`'s.
    fit() {
      const ratio = window.devicePixelRatio || 1;
      for (const plane of this.planes) {
        // as wide as the page allows, as tall as the data's shape asks, within 80% of the window's height
        const aspect = this.aspect(), tall = Math.max(240, 0.8 * window.innerHeight);
        const css = Math.min(plane.wrap.clientWidth, tall * aspect);
        const [w, h] = this.fixedSize || [Math.round(css * ratio), Math.round(css / aspect * ratio)];
        plane.canvas.style.width = `${w / ratio}px`;  // the height follows the canvas's own shape (CSS height: auto)
        if (w < 2 || (plane.canvas.width === w && plane.canvas.height === h && plane.box)) continue;
        plane.size(w, h);
      }
      const lossWidth = Math.round(this.root.clientWidth * ratio);
      if (lossWidth > 2 && this.lossCanvas.width !== lossWidth) { this.lossCanvas.width = lossWidth; this.lossCanvas.height = Math.round(150 * ratio); this.drawLosses(); }
      this.reframe();
      this.draw();
    }

    size(width, height) { this.fixedSize = [width, height]; this.fit(); }

    // The planes take the data's shape, as the video's do (layout.py): width / height of everything
    // selected (fit) or typical of a step (follow), within the video's range, a little wider for the tick labels.
    aspect() {
      if (!this.bounds) return 16 / 9;
      const [low, high] = this.bounds[0], spans = [];
      let lx = Infinity, ly = Infinity, hx = -Infinity, hy = -Infinity;
      for (let t = 0; t < this.length; t++) {
        lx = Math.min(lx, low[0][t]); ly = Math.min(ly, low[1][t]); hx = Math.max(hx, high[0][t]); hy = Math.max(hy, high[1][t]);
        spans.push(Math.max(high[0][t] - low[0][t], 1e-6) / Math.max(high[1][t] - low[1][t], 1e-6));
      }
      spans.sort((a, b) => a - b);
      const data = this.camera === "follow" ? spans[spans.length >> 1] : Math.max(hx - lx, 1e-6) / Math.max(hy - ly, 1e-6);
      return Math.min(Math.max(data, 0.8), this.lead.look.aspectRange[1]) * 1.08;
    }

    // The selected epochs: from the step before `from` (its start) to the end of `to`, as videos' --epochs.
    select() {
      let from = Number(this.fromMenu.value), to = Number(this.toMenu.value);
      if (to < from) { to = Math.max(from, 1); this.toMenu.value = String(to); }
      const lead = this.lead, inside = [];
      for (let k = 0; k < lead.count; k++) if (lead.epoch[k] >= from && lead.epoch[k] <= to) inside.push(k);
      const start = Math.max(inside[0] - (from >= 1 ? 1 : 0), 0), end = inside[inside.length - 1];
      const steps = [];
      for (let k = start; k <= end; k++) steps.push(k);
      this.ks = this.runs.map((run) => Int32Array.from(steps, (k) => (run === lead ? k : run.at(lead.recorded(k)))));
      this.length = steps.length;
      this.slider.max = String(this.length - 1);
      const [dx, dy] = this.dims;
      this.bounds = this.planes.map((plane, p) => plane.extents(this.ks[p], dx, dy));
      this.series = this.runs.map((run, p) => this.seriesOf(run, this.ks[p]));
      this.position = Math.min(this.position, this.length - 1);
      this.drawLosses();
      this.resized();
    }

    reframe() {
      if (!this.planes[0].box || !this.bounds) return;
      if (this.camera === "follow") {
        this.views = this.planes.map((plane, p) => followViews(this.bounds[p][0], this.bounds[p][1], plane.box, plane.pad, this.lead.look));
        return;
      }
      // one view for every step and every plane: the same scale, the same axes (the video's fixed camera)
      let lx = Infinity, ly = Infinity, hx = -Infinity, hy = -Infinity;
      for (const [low, high] of this.bounds) {
        for (let t = 0; t < this.length; t++) {
          lx = Math.min(lx, low[0][t]); ly = Math.min(ly, low[1][t]); hx = Math.max(hx, high[0][t]); hy = Math.max(hy, high[1][t]);
        }
      }
      const view = holding(lx, ly, hx, hy, this.planes[0].box, this.planes[0].pad, this.lead.look);
      this.views = this.planes.map(() => Float64Array.from({ length: 3 * this.length }, (_, j) => view[j % 3]));
    }

    view(plane, position) { const v = this.views[plane]; return [v[3 * position], v[3 * position + 1], v[3 * position + 2]]; }

    show(position) {
      this.position = Math.min(Math.max(Math.round(position), 0), this.length - 1);
      this.slider.value = String(this.position);
      this.draw();
    }

    draw() {
      if (!this.views || !this.planes[0].box) return;
      this.planes.forEach((plane, p) => plane.draw(this.position, this.view(p, this.position)));
      const k = this.ks[0][this.position];
      this.counter.textContent = `${this.lead.counter(k)} \u00b7 step ${this.lead.recorded(k).toLocaleString("en")} of ${(this.lead.data.steps - 1).toLocaleString("en")}`;
      this.cursor.style.left = `${100 * this.position / Math.max(this.length - 1, 1)}%`;
      const f = (v) => (Number.isFinite(v) ? v.toFixed(v >= 100 ? 1 : 3) : "\u2013");
      this.readout.replaceChildren(...this.runs.map((run, p) => {
        const s = this.series[p], line = document.createElement("div");
        line.style.color = this.runs.length > 1 ? run.look.runColors[p % run.look.runColors.length] : "";
        line.textContent = `${this.runs.length > 1 ? run.name + ": " : ""}reconstruction ${f(s[0][this.position])} \u00b7 penalty ${f(s[1][this.position])}` +
          ` (per image, smoothed) \u00b7 mean radius r ${run.variational ? f(s[2][this.position]) : "\u2013 (no sampling)"}`;
        return line;
      }));
    }

    // The panel's three series over the selection: smoothed reconstruction and penalty, mean radius.
    seriesOf(run, ks) {
      const span = Math.max(1, run.look.smoothShare * ks.length), alpha = 2 / (span + 1), [dx, dy] = this.dims;
      const out = [new Float64Array(ks.length), new Float64Array(ks.length), new Float64Array(ks.length)];
      for (const column of [0, 1]) {
        let level = NaN;
        ks.forEach((k, t) => {
          const value = run.loss[2 * k + column];
          if (Number.isFinite(value)) level = Number.isNaN(level) ? value : level + alpha * (value - level);
          out[column][t] = level;
        });
      }
      ks.forEach((k, t) => {
        let sum = 0;
        for (let i = 0; i < run.n; i++) sum += run.radius(k, i, dx, dy);
        out[2][t] = run.variational ? sum / run.n : NaN;
      });
      return out;
    }

    drawLosses() {
      const canvas = this.lossCanvas, ctx = canvas.getContext("2d"), theme = this.lead.look.theme;
      if (!this.series || canvas.width < 2) return;
      const ratio = canvas.height / 150, rows = ["reconstruction (smoothed)", "penalty (smoothed)", "mean radius r"];
      ctx.fillStyle = theme.background;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      const rowH = canvas.height / 3, ks = this.ks[0], epoch = this.lead.epoch;
      // epoch starts, as the panel's x ticks: a faint line and the epoch's number at the bottom
      ctx.fillStyle = theme.grid;
      ctx.font = `${Math.round(10 * ratio)}px system-ui, sans-serif`;
      for (let t = 1; t < this.length; t++) {
        if (epoch[ks[t]] === epoch[ks[t - 1]]) continue;
        const x = canvas.width * t / Math.max(this.length - 1, 1);
        ctx.fillStyle = theme.grid; ctx.fillRect(x - ratio / 2, 0, ratio, canvas.height);
        ctx.fillStyle = theme.muted; ctx.textAlign = "left"; ctx.textBaseline = "bottom";
        ctx.fillText(`epoch ${epoch[ks[t]]}`, x + 3 * ratio, canvas.height - 1);
      }
      rows.forEach((title, row) => {
        const values = this.series.flatMap((s) => [...s[row]].filter(Number.isFinite)).sort((a, b) => a - b);
        const top = row * rowH + 4 * ratio, height = rowH - 8 * ratio;
        ctx.fillStyle = theme.muted;
        ctx.font = `${Math.round(11 * ratio)}px system-ui, sans-serif`;
        ctx.textAlign = "left"; ctx.textBaseline = "top";
        ctx.fillText(title, 4 * ratio, top);
        ctx.strokeStyle = theme.grid; ctx.lineWidth = ratio;
        ctx.beginPath(); ctx.moveTo(0, top + height); ctx.lineTo(canvas.width, top + height); ctx.stroke();
        if (!values.length) { ctx.textAlign = "center"; ctx.fillText("no variance: trained without sampling", canvas.width / 2, top); return; }
        // the first batches' losses are many times the rest: let them leave the top (panel.py)
        const look = this.lead.look, low = values[0], high = values[Math.min(values.length - 1, Math.floor(look.lossesTop / 100 * (values.length - 1)))];
        const pad = Math.max(high - low, Math.abs(high) * look.lossesLeastSpan, 1e-6) * look.lossesPad, y0 = low - pad, y1 = high + pad;
        this.series.forEach((s, p) => {
          ctx.beginPath();
          let started = false;
          s[row].forEach((v, t) => {
            if (!Number.isFinite(v)) return;
            const x = canvas.width * t / Math.max(this.length - 1, 1), y = top + height * (1 - (Math.min(v, y1) - y0) / (y1 - y0));
            started ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
            started = true;
          });
          ctx.strokeStyle = this.lead.look.runColors[p % this.lead.look.runColors.length];
          ctx.lineWidth = 1.5 * ratio;
          ctx.stroke();
        });
      });
    }

    play() {
      if (this.position >= this.length - 1) this.show(0);
      this.playing = true;
      this.playButton.textContent = "Pause";
      let last = null, at = this.position;
      const tick = (now) => {
        if (!this.playing) return;
        if (Math.abs(at - this.position) > 1) at = this.position;  // the slider or a key moved it meanwhile
        if (last !== null) at += (now - last) / 1000 * this.lead.look.fps * this.speed;
        last = now;
        if (Math.round(at) !== this.position) this.show(at);
        if (this.position >= this.length - 1) { this.pause(); return; }
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }

    pause() { this.playing = false; this.playButton.textContent = "Play"; }

    // For tests and measurements: draw `count` successive steps from `from`, the time of each (ms),
    // each flushed to pixels before the clock stops; the least of `repeats` draws of a step, so that
    // other processes on a shared machine do not count.
    timeDraws(from, count, repeats = 1) {
      const times = [], ctx = this.planes[0].ctx;
      for (let j = 0; j < count; j++) {
        let least = Infinity;
        for (let r = 0; r < repeats; r++) {
          const started = performance.now();
          this.show(from + j);
          ctx.getImageData(0, 0, 1, 1);
          least = Math.min(least, performance.now() - started);
        }
        times.push(least);
      }
      return times;
    }

    // Where digit `i` of run `p` is drawn now: canvas pixel centre and radius.
    drawn(p, i) { const plane = this.planes[p]; return [plane.px[2 * i], plane.px[2 * i + 1], plane.rpx[i]]; }
  }

  // -- loading: a run's data when its explorer comes into view -----------------------------------
  const loading = new Map();
  function load(figure) {
    const key = figure.dataset.explorer;
    if (!loading.has(key)) {
      loading.set(key, new Promise((resolve, reject) => {
        const have = window.explorerData && window.explorerData[key];
        if (have) return resolve(new Run(have));
        const script = document.createElement("script");
        script.src = figure.dataset.src;
        script.onload = () => (window.explorerData && window.explorerData[key] ? resolve(new Run(window.explorerData[key])) : reject(new Error("no data in " + figure.dataset.src)));
        script.onerror = () => reject(new Error(`its data file ${decodeURIComponent(figure.dataset.src)} is missing`));
        document.head.append(script);
      }));
    }
    return loading.get(key);
  }

  function start(figure) {
    if (figure.dataset.state) return;
    figure.dataset.state = "loading";
    const body = figure.querySelector(".explorer-body");
    load(figure).then((run) => {
      const explorer = new Explorer(body, [run], { epochs: figure.dataset.epochs });
      explorers.push(explorer);
      figure.explorer = explorer;
      figure.dataset.state = "ready";
    }, (error) => {
      body.replaceChildren(element("p", "missing", null, `The explorer cannot start: ${error.message}.`));
      figure.dataset.state = "failed";
    });
  }

  // -- runs stepped together --------------------------------------------------------------------
  let together = null;
  function refusal(runs) {
    for (const other of runs.slice(1)) {
      for (const what of Object.keys(runs[0].data.stepping)) {  // data.py's STEP_FOR_STEP, in its order
        if (JSON.stringify(runs[0].data.stepping[what]) !== JSON.stringify(other.data.stepping[what])) {
          return `${runs[0].name} and ${other.name} have different ${what}, so they cannot be stepped together.`;
        }
      }
    }
    return null;
  }
  function rebuildTogether() {
    const figures = [...document.querySelectorAll("figure.explorer")].filter((f) => f.querySelector("input.explore-together:checked")).slice(0, 4);
    if (!together) {
      together = element("section", "", null);
      together.id = "explore-together";
      const main = document.querySelector("main") || document.body;
      main.prepend(together);
    }
    together.hidden = figures.length < 2;
    if (together.hidden) { together.replaceChildren(); together.explorer = null; return; }
    together.replaceChildren(element("h2", "", null, "Explorer: runs stepped together"), element("p", "explorer-wait", null, "loading\u2026"));
    Promise.all(figures.map(load)).then((runs) => {
      const reason = refusal(runs);
      const body = element("div", "explorer-body", null);
      together.replaceChildren(together.firstChild, reason ? element("p", "refused", null, reason) : body);
      together.dataset.state = reason ? "refused" : "ready";
      together.explorer = reason ? null : new Explorer(body, runs);
      together.scrollIntoView({ block: "start" });
    }, (error) => { together.replaceChildren(element("p", "missing", null, `The explorer cannot start: ${error.message}.`)); });
  }

  document.addEventListener("change", (event) => {
    if (!event.target.classList.contains("explore-together")) return;
    if (document.querySelectorAll("input.explore-together:checked").length > 4) { event.target.checked = false; return; }
    rebuildTogether();
  });

  const figures = document.querySelectorAll("figure.explorer");
  if (typeof IntersectionObserver === "undefined") figures.forEach(start);
  else {
    const watcher = new IntersectionObserver((entries) => entries.forEach((entry) => { if (entry.isIntersecting) { watcher.unobserve(entry.target); start(entry.target); } }), { rootMargin: "600px" });
    figures.forEach((figure) => watcher.observe(figure));
  }
  window.latentExplorer = { explorers, start, together: () => together && together.explorer };
})();
