/**
 * The HTML report's script (compiled by tsconfig.page.json, inlined by to-html.ts).
 * The markup is all there without it; this adds what is drawn on demand from the page
 * data (page-types.d.ts): tooltips, moving between stalls with the keyboard, the
 * selected stall's causes and flame view, sorting the call sites, a call site's stack
 * and sampled frames.
 *
 * Everything from the program reaches the page as text: this script writes with
 * textContent and attributes only, never markup.
 */
(() => {
  const dataBlock = document.getElementById('loopwatch-data');
  if (!dataBlock?.textContent) return;
  const data = JSON.parse(dataBlock.textContent) as PageData;

  // ---- small helpers -------------------------------------------------------------

  function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function formatMs(ms: number): string {
    if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
    if (ms >= 100) return `${Math.round(ms)} ms`;
    if (ms >= 10) return `${ms.toFixed(1).replace(/\.0$/, '')} ms`;
    return `${ms.toFixed(2).replace(/\.?0+$/, '')} ms`;
  }

  function formatAt(ms: number): string {
    return ms < 1000 ? formatMs(ms) : `${(ms / 1000).toFixed(2)} s`;
  }

  function plural(n: number, noun: string): string {
    return `${n} ${noun}${n === 1 ? '' : 's'}`;
  }

  function frameText(index: number): string {
    const frame = data.frames[index];
    if (!frame) return '?';
    const position = frame.line === null ? '' : `:${frame.line}${frame.column === null ? '' : `:${frame.column}`}`;
    return `${frame.function ?? '(anonymous)'} ${frame.file}${position}`;
  }

  /** A stack's frames, innermost first, from its innermost node. */
  function framesOf(node: number): number[] {
    const frames: number[] = [];
    for (let at = node; at >= 0; at = data.stackNodes[at]![0]) frames.push(data.stackNodes[at]![1]);
    return frames;
  }

  /** What a stall's main cause is, for a tooltip's first lines. */
  function stallTitle(stall: PageStall): { operation: string; where: string } {
    if (stall.pool) {
      const cause = stall.pool.causes[0];
      const work = cause ? (cause.where ? `${cause.operation} at ${cause.where}` : `${cause.operation} (async fs, native addons?)`) : '';
      return { operation: `threadpool starvation (${stall.pool.queue} queue)`, where: work };
    }
    const main = stall.causes?.[0];
    if (!main) return { operation: 'unknown', where: '' };
    return { operation: `${main[3]} (${main[4]})`, where: data.sites[main[0]]?.where ?? '' };
  }

  /** The event loop a lane is: a process's main thread, or one of its worker threads. */
  function laneName(lane: PageLane | undefined): string {
    if (!lane) return '';
    return lane.threadId === null ? `pid ${lane.pid}` : `pid ${lane.pid}, worker thread ${lane.threadId}`;
  }

  function stallSummary(stall: PageStall): string {
    const facts = [`${formatMs(stall.ms)} at ${formatAt(stall.at)}`, laneName(data.lanes[stall.lane])];
    if (stall.startup) facts.push('at startup');
    if (stall.cut) facts.push('still going on when the process ended');
    return facts.filter(Boolean).join(', ');
  }

  /**
   * Event-loop stalls and threadpool stalls are counted apart, as the headline counts
   * them: a stall's place among its own kind, "2 of 4".
   */
  const places: number[] = [];
  const kinds = { loop: 0, pool: 0 };
  for (const stall of data.stalls) places.push(stall.pool ? ++kinds.pool : ++kinds.loop);

  function numberOf(index: number): string {
    const stall = data.stalls[index];
    return stall ? `${places[index]} of ${stall.pool ? kinds.pool : kinds.loop}` : '';
  }

  // ---- tooltip -------------------------------------------------------------------

  const tooltip = document.getElementById('tooltip')!;

  function showTooltip(lines: Array<[text: string, className?: string]>, anchor: { x: number; y: number }): void {
    tooltip.replaceChildren(...lines.map(([text, className]) => el('div', className, text)));
    tooltip.hidden = false;
    const width = tooltip.offsetWidth;
    const height = tooltip.offsetHeight;
    const left = Math.min(anchor.x + 12, window.innerWidth - width - 8);
    const top = anchor.y + 16 + height > window.innerHeight ? anchor.y - height - 10 : anchor.y + 16;
    tooltip.style.left = `${Math.max(4, left)}px`;
    tooltip.style.top = `${Math.max(4, top)}px`;
  }

  function hideTooltip(): void {
    tooltip.hidden = true;
  }

  function stallTooltip(index: number, anchor: { x: number; y: number }): void {
    const stall = data.stalls[index];
    if (!stall) return;
    const { operation, where } = stallTitle(stall);
    const lines: Array<[string, string?]> = [[operation, 'op']];
    if (where) lines.push([where]);
    lines.push([stallSummary(stall)]);
    const more = (stall.pool?.causes.length ?? stall.causes?.length ?? 1) - 1;
    if (more > 0) lines.push([`and ${plural(more, 'other cause')}`]);
    if (stall.pool) lines.push([`tasks waited up to ${formatMs(stall.pool.maxWaitMs)}`]);
    const host = hostShare(stall);
    if (host) lines.push([host]);
    showTooltip(lines, anchor);
  }

  function gcTooltip(index: number, anchor: { x: number; y: number }): void {
    const gc = data.gc[index];
    if (!gc) return;
    const lane = data.lanes[gc[0]];
    showTooltip([[`GC pause (${gc[3]})`, 'op'], [`${formatMs(gc[2])} at ${formatAt(gc[1])}${lane ? `, ${laneName(lane)}` : ''}`]], anchor);
  }

  /** What the host had to do with a stall, in a few words, when it was much. */
  function hostShare(stall: PageStall): string | undefined {
    const t = stall.time;
    if (!t || t.observedMs <= 0) return undefined;
    if (t.host === 'stopped') return 'the whole process was stopped, loopwatch too';
    if (t.runQueueMs >= t.observedMs / 5) return `${Math.round((t.runQueueMs / t.observedMs) * 100)}% of it waiting for a CPU (the host was busy)`;
    return undefined;
  }

  /** Where a stall's time went, as the watchdog read the blocked thread's scheduler statistics. */
  function threadTime(stall: PageStall): HTMLElement | undefined {
    const t = stall.time;
    if (!t || t.observedMs <= 0) return undefined;
    const share = (ms: number) => `${formatMs(ms)} (${Math.round((ms / t.observedMs) * 100)}%)`;
    const box = el('div', 'thread-time');
    // The sentence names the bar's parts, each after a swatch of its colour.
    const sentence = el('p', undefined, `Where its time went, over the ${formatMs(t.observedMs)} of it the watchdog observed: `);
    const parts = [
      [t.onCpuMs, 'on-cpu', 'on a CPU'],
      [t.runQueueMs, 'run-queue', 'ready but waiting for a CPU'],
      [t.offCpuMs, 'off-cpu', 'off the CPU (asleep in a system call, or stopped)'],
    ] as const;
    parts.forEach(([ms, name, what], i) => {
      const swatch = el('span', `swatch ${name}`);
      swatch.setAttribute('aria-hidden', 'true');
      sentence.append(swatch, `${share(ms)} ${what}${i < parts.length - 1 ? ', ' : '.'}`);
    });
    box.append(sentence);
    const bar = el('div', 'time-bar');
    bar.setAttribute('aria-hidden', 'true');
    for (const [ms, name] of parts) {
      const part = el('span', name);
      part.style.width = `${(ms / t.observedMs) * 100}%`;
      bar.append(part);
    }
    box.append(bar);
    if (t.host === 'stopped') box.append(el('p', 'host', 'The whole process was stopped, loopwatch too (SIGSTOP, a frozen container, a paused VM): the CI gate does not count that time.'));
    else if (t.host === 'starved') box.append(el('p', 'host', 'The host took most of it: the thread was ready to run, but the host gave the CPUs to other work. The CI gate does not count that part.'));
    else if (t.runQueueMs >= t.observedMs / 5) box.append(el('p', 'host', 'The host was busy: part of it the thread waited for a CPU, which the CI gate does not count.'));
    return box;
  }

  // ---- the timeline's marks: hover, focus, the keyboard --------------------------

  const svg = document.getElementById('timeline-svg');
  const marks = new Map<number, SVGElement>();
  for (const mark of document.querySelectorAll<SVGElement>('.mark')) marks.set(Number(mark.dataset.i), mark);
  /** Per lane, its stalls' indexes in time order (the report lists stalls in time order). */
  const laneStalls: number[][] = data.lanes.map(() => []);
  data.stalls.forEach((stall, i) => laneStalls[stall.lane]?.push(i));

  function indexOf(target: EventTarget | null): number | undefined {
    if (!(target instanceof SVGElement) || !target.classList.contains('mark')) return undefined;
    return Number(target.dataset.i);
  }

  /**
   * A mark's role and name, given when it is first focused: ten thousand marks each
   * carrying them in the markup would be a megabyte of a big run's page.
   */
  function labelMark(mark: SVGElement, index: number): void {
    if (mark.hasAttribute('aria-label')) return;
    const stall = data.stalls[index];
    if (!stall) return;
    const { operation, where } = stallTitle(stall);
    mark.setAttribute('role', 'button');
    mark.setAttribute('aria-label', `${operation} ${where}, ${stallSummary(stall)}`);
  }

  /** Moves the timeline's one tab stop to a mark (a roving tabindex), and focus with it. */
  function focusStall(index: number): void {
    const mark = marks.get(index);
    if (!mark) return;
    for (const other of document.querySelectorAll<SVGElement>('.mark[tabindex="0"]')) other.setAttribute('tabindex', '-1');
    mark.setAttribute('tabindex', '0');
    labelMark(mark, index);
    mark.focus();
  }

  function anchorOf(element: Element): { x: number; y: number } {
    const box = element.getBoundingClientRect();
    return { x: box.right, y: box.bottom };
  }

  /** The stall to move to from `index` for an arrow key, Home or End. */
  function neighbour(index: number, key: string): number | undefined {
    const stall = data.stalls[index];
    if (!stall) return undefined;
    const own = laneStalls[stall.lane] ?? [];
    const at = own.indexOf(index);
    if (key === 'ArrowRight') return own[at + 1];
    if (key === 'ArrowLeft') return own[at - 1];
    if (key === 'Home') return own[0];
    if (key === 'End') return own[own.length - 1];
    const step = key === 'ArrowDown' ? 1 : key === 'ArrowUp' ? -1 : 0;
    if (step === 0) return undefined;
    for (let lane = stall.lane + step; lane >= 0 && lane < laneStalls.length; lane += step) {
      const others = laneStalls[lane]!;
      if (others.length === 0) continue;
      // The other lane's stall nearest in time.
      let best = others[0]!;
      for (const other of others) {
        if (Math.abs(data.stalls[other]!.at - stall.at) < Math.abs(data.stalls[best]!.at - stall.at)) best = other;
      }
      return best;
    }
    return undefined;
  }

  if (svg) {
    svg.addEventListener('mousemove', (event) => {
      const target = event.target;
      const index = indexOf(target);
      if (index !== undefined) return stallTooltip(index, { x: event.clientX, y: event.clientY });
      if (target instanceof SVGElement && target.classList.contains('gc')) return gcTooltip(Number(target.dataset.g), { x: event.clientX, y: event.clientY });
      hideTooltip();
    });
    svg.addEventListener('mouseleave', hideTooltip);
    svg.addEventListener('focusin', (event) => {
      const index = indexOf(event.target);
      if (index === undefined) return;
      labelMark(event.target as SVGElement, index);
      stallTooltip(index, anchorOf(event.target as Element));
    });
    svg.addEventListener('focusout', hideTooltip);
    svg.addEventListener('click', (event) => {
      const index = indexOf(event.target);
      if (index === undefined) return;
      focusStall(index);
      selectStall(index);
    });
    svg.addEventListener('keydown', (event) => {
      const index = indexOf(event.target);
      if (index === undefined) return;
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        selectStall(index);
        return;
      }
      if (event.key === 'Escape') return hideTooltip();
      const next = neighbour(index, event.key);
      if (next === undefined) return;
      event.preventDefault();
      focusStall(next);
    });
  }

  // ---- the selected stall: its causes and its flame view -------------------------

  const detail = document.getElementById('stall-detail')!;
  const flame = document.getElementById('flame')!;
  const flameFrame = document.getElementById('flame-frame')!;

  function selectStall(index: number): void {
    const stall = data.stalls[index];
    if (!stall) return;
    for (const selected of document.querySelectorAll('.mark.selected')) selected.classList.remove('selected');
    marks.get(index)?.classList.add('selected');
    const { operation, where } = stallTitle(stall);
    const heading = el('h3', undefined, `${stall.pool ? 'Threadpool stall' : 'Stall'} ${numberOf(index)}: ${operation}`);
    const facts = el('p', undefined, `${stallSummary(stall)}${where ? `; ${where}` : ''}`);
    const causes = el('ol', 'causes');
    if (stall.pool) {
      for (const cause of stall.pool.causes) {
        const calls = cause.calls ? `, ${plural(cause.calls, 'call')} in flight` : '';
        const at = cause.where ? `, at ${cause.where}` : '';
        causes.append(el('li', 'mono', `${cause.operation}: ${formatMs(cause.ms)}${calls}${at}${cause.detail ? ` (${cause.detail})` : ''}`));
      }
    } else {
      for (const [siteIndex, ms, exact, operation, category] of stall.causes ?? []) {
        const site = data.sites[siteIndex];
        const text = `${operation} (${category}): ${formatMs(ms)}${exact ? ', timed exactly' : ''}${site ? `, at ${site.where}` : ''}`;
        causes.append(el('li', 'mono', text));
      }
    }
    detail.replaceChildren(heading, facts, el('p', 'note', stall.pool ? 'Work in flight:' : 'Causes, longest first:'), causes);
    const time = threadTime(stall);
    if (time) detail.append(time);
    drawFlame(stall);
  }

  interface FlameNode {
    frame: number;
    ms: number;
    samples: number;
    children: Map<number, FlameNode>;
  }

  const FLAME_ROW = 21;

  function drawFlame(stall: PageStall): void {
    flame.replaceChildren();
    flameFrame.textContent = '';
    const stacks = stall.stacks ?? [];
    if (stacks.length === 0) {
      flame.style.height = '';
      flame.append(
        el('p', 'note', stall.pool ? 'Threadpool stalls have no stack samples: the work in flight is listed above.' : 'No stack sample: the stall ended before the first one was served.'),
      );
      return;
    }
    const root: FlameNode = { frame: -1, ms: 0, samples: 0, children: new Map() };
    for (const [stackNode, ms, samples] of stacks) {
      const frames = framesOf(stackNode);
      root.ms += ms;
      root.samples += samples;
      let parent = root;
      // Stacks are innermost first; the flame view grows from the outermost frame.
      for (let depth = frames.length - 1; depth >= 0; depth--) {
        const frame = frames[depth]!;
        let child = parent.children.get(frame);
        if (!child) {
          child = { frame, ms: 0, samples: 0, children: new Map() };
          parent.children.set(frame, child);
        }
        child.ms += ms;
        child.samples += samples;
        parent = child;
      }
    }
    let maxDepth = 0;
    const place = (node: FlameNode, offsetMs: number, depth: number) => {
      const width = node.ms / root.ms;
      // Narrower than a few pixels is unreadable and unclickable: its time stays in its parent's.
      if (width < 0.004) return;
      maxDepth = Math.max(maxDepth, depth);
      const button = el('button', node.frame < 0 ? 'root' : (data.frames[node.frame]?.owner ?? ''));
      button.type = 'button';
      const share = `${formatMs(node.ms)}, ${Math.round(width * 100)}% of the samples' time, ${plural(node.samples, 'sample')}`;
      const label = node.frame < 0 ? `all samples: ${formatMs(root.ms)}` : frameText(node.frame);
      button.textContent = label;
      button.title = `${label}\n${share}`;
      button.setAttribute('aria-label', `${label}: ${share}`);
      button.style.left = `${(offsetMs / root.ms) * 100}%`;
      button.style.width = `${width * 100}%`;
      button.style.top = `${depth * FLAME_ROW}px`;
      button.addEventListener('click', () => {
        flameFrame.textContent = `${label}: ${share}`;
      });
      flame.append(button);
      let childOffset = offsetMs;
      for (const child of [...node.children.values()].sort((a, b) => b.ms - a.ms)) {
        place(child, childOffset, depth + 1);
        childOffset += child.ms;
      }
    };
    place(root, 0, 0);
    flame.style.height = `${(maxDepth + 1) * FLAME_ROW + 2}px`;
    if (stall.omitted) {
      const [count, ms] = stall.omitted;
      flameFrame.textContent = `${plural(count, 'more stack')} (${formatMs(ms)}) not kept: the report keeps at most ${data.limits.stacksPerStall} per stall and ${data.limits.stacks} in all.`;
    }
  }

  // ---- the call-site table: sorting, more rows, expanding -----------------------

  const table = document.getElementById('sites-table') as HTMLTableElement | null;
  /** Rows are shown in this order of `data.sites`, the first `shown` of them. */
  let order = data.sites.map((_, i) => i);
  let shown = table ? table.tBodies.length : 0;
  const MORE_ROWS = 500;

  /** A call site's row, the same as to-html.ts writes into the page. */
  function siteRow(siteIndex: number): HTMLTableSectionElement {
    const site = data.sites[siteIndex]!;
    const body = el('tbody', 'site');
    body.dataset.site = String(siteIndex);
    const row = body.insertRow();
    const button = el('button', 'expand');
    button.type = 'button';
    button.setAttribute('aria-expanded', 'false');
    button.setAttribute('aria-controls', `site-${siteIndex}-detail`);
    button.setAttribute('aria-labelledby', `expand-label site-${siteIndex}-where`);
    const arrow = el('span', undefined, '▸');
    arrow.setAttribute('aria-hidden', 'true');
    button.append(arrow);
    row.insertCell().append(button);
    const where = row.insertCell();
    where.className = 'where mono';
    where.id = `site-${siteIndex}-where`;
    where.append(site.where);
    for (const note of site.notes ?? []) where.append(el('div', 'note', note));
    row.insertCell().append(site.operation);
    if (site.split !== undefined) row.cells[2]!.append(el('div', 'note', site.split));
    row.cells[2]!.className = 'mono';
    const swatch = el('span', `swatch c-${site.category}`);
    swatch.setAttribute('aria-hidden', 'true');
    row.insertCell().append(swatch, site.category);
    for (const [value, text] of [
      [site.count, String(site.count)],
      [site.totalMs, formatMs(site.totalMs)],
      [site.maxMs, formatMs(site.maxMs)],
      [site.p95Ms, formatMs(site.p95Ms)],
    ] as const) {
      const cell = row.insertCell();
      cell.className = 'num';
      cell.dataset.v = String(value);
      cell.textContent = text;
    }
    const detailRow = body.insertRow();
    detailRow.className = 'site-detail';
    detailRow.id = `site-${siteIndex}-detail`;
    detailRow.hidden = true;
    detailRow.insertCell().colSpan = 8;
    return body;
  }

  /** Renders the rows from `from` (0: all of them again, as after sorting) to `shown`. */
  function showRows(from: number): void {
    if (!table) return;
    if (from === 0) for (const body of [...table.tBodies]) body.remove();
    table.append(...order.slice(from, shown).map(siteRow));
    const note = document.getElementById('sites-shown');
    if (note) note.textContent = `Showing ${shown} of ${data.sites.length} call sites.`;
    const more = document.getElementById('show-more-sites');
    if (more) more.hidden = shown >= data.sites.length;
  }

  type SortKey = 'where' | 'operation' | 'category' | 'count' | 'totalMs' | 'maxMs' | 'p95Ms';

  if (table) {
    const headers = [...table.querySelectorAll<HTMLTableCellElement>('thead th')];
    table.tHead!.addEventListener('click', (event) => {
      const button = (event.target as Element).closest('button');
      const th = button?.closest('th');
      if (!button || !th) return;
      const key = button.dataset.sort as SortKey;
      const numeric = th.classList.contains('num');
      // The first click sorts numbers largest first and text A to Z.
      const current = th.getAttribute('aria-sort');
      const ascending = current === 'none' ? !numeric : current === 'descending';
      for (const other of headers) if (other.hasAttribute('aria-sort')) other.setAttribute('aria-sort', 'none');
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      order = data.sites.map((_, i) => i);
      order.sort((a, b) => {
        const x = data.sites[a]![key];
        const y = data.sites[b]![key];
        const compared = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return ascending ? compared : -compared;
      });
      showRows(0);
    });

    document.getElementById('show-more-sites')?.addEventListener('click', () => {
      const from = shown;
      shown = Math.min(data.sites.length, shown + MORE_ROWS);
      showRows(from);
    });

    table.addEventListener('click', (event) => {
      const row = (event.target as Element).closest('tr');
      const body = row?.parentElement;
      if (!row || !(body instanceof HTMLTableSectionElement) || !body.classList.contains('site') || row !== body.rows[0]) return;
      const button = row.querySelector<HTMLButtonElement>('button.expand')!;
      const detailRow = body.rows[1]!;
      const open = button.getAttribute('aria-expanded') !== 'true';
      button.setAttribute('aria-expanded', String(open));
      if (open && detailRow.cells[0]!.childElementCount === 0) fillSiteDetail(Number(body.dataset.site), detailRow.cells[0]!);
      detailRow.hidden = !open;
    });
  }

  function fillSiteDetail(siteIndex: number, cell: HTMLTableCellElement): void {
    const site = data.sites[siteIndex];
    if (!site) return;
    const stackBox = el('div');
    stackBox.append(el('h4', undefined, 'Stack (of its first stall, innermost first)'));
    const stack = el('ol', 'stack mono');
    for (const frame of site.stack) stack.append(el('li', data.frames[frame]?.owner, frameText(frame)));
    if (site.stack.length === 0) stack.append(el('li', 'note', 'no stack'));
    stackBox.append(stack);

    const sampledBox = el('div');
    sampledBox.append(el('h4', undefined, 'Sampled frames (samples that went to this call site, all its stalls)'));
    sampledBox.append(sampledFrames(siteIndex, site));

    const stallsBox = el('div');
    stallsBox.append(el('h4', undefined, `Its ${plural(site.stalls.length, 'stall')}`));
    const links = el('div', 'stall-links');
    for (const stallIndex of site.stalls.slice(0, 100)) {
      const stall = data.stalls[stallIndex]!;
      const link = el('button', undefined, `${formatAt(stall.at)} · ${formatMs(stall.ms)}`);
      link.type = 'button';
      link.setAttribute('aria-label', `Show stall ${numberOf(stallIndex)}: ${formatMs(stall.ms)} at ${formatAt(stall.at)}`);
      link.addEventListener('click', () => {
        selectStall(stallIndex);
        focusStall(stallIndex);
      });
      links.append(link);
    }
    if (site.stalls.length > 100) links.append(el('span', 'note', `and ${site.stalls.length - 100} more`));
    stallsBox.append(links);

    const columns = el('div', 'detail-cols');
    columns.append(stackBox, sampledBox);
    cell.append(columns, stallsBox);
  }

  /** Each frame of the samples that went to a call site, by the time they covered. */
  function sampledFrames(siteIndex: number, site: PageSite): HTMLElement {
    const total = new Map<number, number>();
    const self = new Map<number, number>();
    let all = 0;
    for (const stallIndex of site.stalls) {
      const stall = data.stalls[stallIndex]!;
      for (const [node, ms, , cause] of stall.stacks ?? []) {
        if (stall.causes?.[cause]?.[0] !== siteIndex) continue;
        const frames = framesOf(node);
        all += ms;
        const innermost = frames[0];
        if (innermost !== undefined) self.set(innermost, (self.get(innermost) ?? 0) + ms);
        for (const frame of new Set(frames)) total.set(frame, (total.get(frame) ?? 0) + ms);
      }
    }
    if (all === 0) return el('p', 'note', 'No samples went to it (its time was timed exactly by a probe, or the report left them out).');
    const rows = [...total.entries()].sort((a, b) => (self.get(b[0]) ?? 0) - (self.get(a[0]) ?? 0) || b[1] - a[1]).slice(0, 25);
    const result = el('table');
    const head = el('tr');
    for (const [text, numeric] of [['frame', false], ['self', true], ['total', true]] as const) {
      const th = el('th', numeric ? 'num' : undefined, text);
      th.scope = 'col';
      head.append(th);
    }
    result.append(el('thead'), el('tbody'));
    result.tHead!.append(head);
    for (const [frame, ms] of rows) {
      const tr = el('tr');
      tr.append(el('td', `mono ${data.frames[frame]?.owner ?? ''}`, frameText(frame)), el('td', 'num', formatMs(self.get(frame) ?? 0)), el('td', 'num', formatMs(ms)));
      result.tBodies[0]!.append(tr);
    }
    result.createCaption().textContent = `${formatMs(all)} of samples`;
    return result;
  }

  // ---- buttons elsewhere that show a stall ---------------------------------------

  for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-stall]')) {
    button.addEventListener('click', () => {
      const index = Number(button.dataset.stall);
      selectStall(index);
      focusStall(index);
    });
  }
})();
