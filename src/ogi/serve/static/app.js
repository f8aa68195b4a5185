// Page behaviour of ogi's web app. Plain DOM; report text is only ever inserted as textContent.
(function () {
  "use strict";
  var root = function () { var m = document.querySelector('meta[name="root-path"]'); return m ? m.content : ""; };
  var csrf = function () { var m = document.querySelector('meta[name="csrf-token"]'); return m ? m.content : ""; };

  function clearMarks(cls) {
    document.querySelectorAll("." + cls).forEach(function (el) { el.classList.remove(cls); });
  }

  // A finding (or a correction) → highlight its cells and bring the first into view.
  function showCells(keys) {
    clearMarks("hl");
    var first = null;
    keys.split(/\s+/).forEach(function (k) {
      var el = k && document.getElementById("cell-" + k);
      if (el) { el.classList.add("hl"); first = first || el; }
    });
    if (first) { first.scrollIntoView({ block: "center", behavior: "smooth" }); }
  }

  // A cell → its line (or source-table cell) in the source pane, and into the correction form.
  function showSource(td) {
    clearMarks("src-hl");
    var target = td.dataset.src ? document.getElementById("src-" + td.dataset.src) : null;
    if (!target && td.dataset.line) { target = document.getElementById("L" + td.dataset.line); }
    if (target) {
      target.classList.add("src-hl");
      var pane = document.querySelector("#source .lines");
      if (pane) { pane.scrollTop = target.offsetTop - pane.offsetTop - pane.clientHeight / 3; }
    }
    var select = document.getElementById("correct-key");
    if (select) {
      select.value = td.dataset.key;
      var value = document.getElementById("correct-value");
      if (value) { value.value = td.classList.contains("number") ? td.textContent.trim().replace(/[^\d.\-]/g, "") : ""; }
      // The form sits at the end of the page: dock it on screen instead of sending the reviewer there.
      var section = document.getElementById("correct");
      if (section) {
        section.classList.add("docked");
        document.body.classList.add("docked");
        if (value) { value.focus({ preventScroll: true }); }
      }
    }
    clearMarks("picked");
    td.classList.add("picked");
  }

  // Elements under scope matching selector, scope itself included (htmx hands over the swapped element).
  function each(scope, selector, fn) {
    if (scope.matches && scope.matches(selector)) { fn(scope); }
    scope.querySelectorAll(selector).forEach(fn);
  }

  function initReport(scope) {
    each(scope, "[data-keys]", function (el) {
      el.addEventListener("click", function (ev) {
        if (ev.target.closest("form, button, input, a:not(.cell-ref)")) { return; }
        showCells(el.dataset.keys);
      });
    });
    scope.querySelectorAll("td.cell[data-key]").forEach(function (td) {
      td.addEventListener("click", function () { showSource(td); });
    });
    scope.querySelectorAll("#correct .close").forEach(function (button) {
      button.addEventListener("click", function () {
        document.getElementById("correct").classList.remove("docked");
        document.body.classList.remove("docked");
      });
    });
    if (location.hash.indexOf("#cell-") === 0) {
      var el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (el) { el.classList.add("hl"); el.scrollIntoView({ block: "center" }); }
    }
  }

  // Region selects: choosing a level clears the levels under it and reloads the list.
  function initFilters(scope) {
    scope.querySelectorAll("select[data-region]").forEach(function (sel) {
      sel.addEventListener("change", function () {
        var level = +sel.dataset.region;
        sel.form.querySelectorAll("select[data-region]").forEach(function (other) {
          if (+other.dataset.region > level) { other.value = ""; }
        });
        if (sel.form.requestSubmit) { sel.form.requestSubmit(); } else { sel.form.submit(); }
      });
    });
  }

  function initCharts(scope) {
    if (!window.echarts) { return; }
    scope.querySelectorAll("[data-chart]").forEach(function (el) {
      var script = document.getElementById(el.id + "-option");
      if (!script || el.dataset.drawn) { return; }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(JSON.parse(script.textContent));
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  // Upload: several files, each its own request so each has its own progress bar.
  function initUpload(scope) {
    var zone = scope.querySelector("#dropzone");
    var input = scope.querySelector("#upload-files");
    var list = scope.querySelector("#upload-list");
    if (!zone || !input || !list) { return; }
    function row(file) {
      var li = document.createElement("li");
      var name = document.createElement("span"); name.className = "name"; name.textContent = file.name;
      var bar = document.createElement("progress"); bar.max = 100; bar.value = 0;
      var status = document.createElement("span"); status.className = "status"; status.textContent = "等待上传…";
      li.append(name, bar, status);
      list.prepend(li);
      return { file: file, li: li, bar: bar, status: status };
    }
    function send(job, done) {
      var li = job.li, bar = job.bar, status = job.status;
      status.textContent = "上传中…";
      var data = new FormData();
      data.append("files", job.file, job.file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", root() + "/api/upload");
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (ev) {
        if (ev.lengthComputable) { bar.value = Math.round(ev.loaded * 100 / ev.total); }
      };
      xhr.upload.onload = function () { bar.value = 100; status.textContent = "解析中…"; };
      xhr.onload = function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        var r = body && body.results ? body.results[0] : null;
        li.classList.add(r && r.ok ? "ok" : "failed");
        status.textContent = "";
        if (r && r.ok) {
          var a = document.createElement("a");
          a.href = r.url;
          a.textContent = (r.organ || "（机关未识别）") + " " + (r.year || "") + "年度";
          var f = r.findings || {};
          status.append(a, document.createTextNode("：错误 " + (f.error || 0) + "、警告 " + (f.warning || 0) +
            (r.result === "unchanged" ? "（已在库中）" : "")));
        } else {
          status.textContent = "失败：" + ((r && r.error) || (body && body.error) || ("HTTP " + xhr.status));
        }
      };
      xhr.onerror = function () { li.classList.add("failed"); status.textContent = "失败：网络错误"; };
      xhr.onloadend = done;
      xhr.send(data);
    }
    // At most three uploads at a time; the others wait in line, each with its own row.
    var waiting = [], running = 0;
    function next() {
      while (running < 3 && waiting.length) {
        running += 1;
        send(waiting.shift(), function () { running -= 1; next(); });
      }
    }
    // Files picked one by one are all sent (the server says why one is refused); from a folder, only files
    // whose extension a report may have, and one line says how many others were skipped.
    var known = (scope.querySelector("#upload-extensions") || { dataset: {} }).dataset.extensions || "";
    known = known.split(",");
    function isReport(file) {
      var dot = file.name.lastIndexOf(".");
      return dot > 0 && known.indexOf(file.name.slice(dot).toLowerCase()) >= 0;
    }
    function sendAll(files, fromFolder) {
      var skipped = 0;
      Array.prototype.forEach.call(files, function (f) {
        if (fromFolder && !isReport(f)) { skipped += 1; return; }
        waiting.push(row(f));
      });
      if (skipped) {
        var li = document.createElement("li");
        li.className = "skipped";
        li.textContent = "文件夹中有 " + skipped + " 个文件不是报告（扩展名不符），已跳过";
        list.prepend(li);
      }
      next();
    }
    input.addEventListener("change", function () { sendAll(input.files, false); input.value = ""; });
    var folder = scope.querySelector("#upload-folder");
    if (folder) {
      folder.addEventListener("change", function () { sendAll(folder.files, true); folder.value = ""; });
    }
    // A dropped folder: walk its entries (the File and Directory Entries API of every current browser).
    function walk(entry, out, done) {
      if (entry.isFile) { entry.file(function (f) { out.push(f); done(); }, done); return; }
      var reader = entry.createReader(), pending = 1;
      function finished() { pending -= 1; if (!pending) { done(); } }
      (function more() {
        reader.readEntries(function (entries) {
          if (!entries.length) { finished(); return; }
          entries.forEach(function (e) { pending += 1; walk(e, out, finished); });
          more();
        }, finished);
      })();
    }
    ["dragenter", "dragover"].forEach(function (t) {
      zone.addEventListener(t, function (ev) { ev.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      zone.addEventListener(t, function (ev) { ev.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (ev) {
      var items = ev.dataTransfer ? ev.dataTransfer.items : null;
      var entries = items ? Array.prototype.map.call(items, function (i) {
        return i.webkitGetAsEntry ? i.webkitGetAsEntry() : null;
      }) : [];
      if (!entries.some(function (e) { return e && e.isDirectory; })) {
        if (ev.dataTransfer) { sendAll(ev.dataTransfer.files, false); }
        return;
      }
      var files = [], pending = entries.length;
      entries.forEach(function (e) {
        if (!e) { pending -= 1; return; }
        walk(e, files, function () { pending -= 1; if (!pending) { sendAll(files, true); } });
      });
    });
  }

  function init(scope) {
    scope = scope || document;
    initReport(scope);
    initFilters(scope);
    initCharts(scope);
    initUpload(scope);
  }

  if (window.htmx) {
    window.htmx.onLoad(function (el) { init(el === document.body ? document : el); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  }
})();
