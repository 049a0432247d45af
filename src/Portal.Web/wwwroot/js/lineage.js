// The lineage diagram: cytoscape.js draws, ELK's layered algorithm (in a web worker, so the page never freezes) places
// nodes left to right. Loaded by LineageDiagram.razor through JS interop; the libraries come from wwwroot/lib, which
// the build fills from the npm packages in wwwroot-shared/.

const libraries = ['lib/cytoscape/cytoscape.min.js', 'lib/cytoscape-svg/cytoscape-svg.js', 'lib/elkjs/elk-api.js'];
let loaded = null;
let elk = null;
const diagrams = new Map();
let nextHandle = 1;

function url(path) {
    return new URL(path, document.baseURI).toString();
}

function loadScript(src) {
    return new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = url(src);
        script.async = false;
        script.onload = resolve;
        script.onerror = () => reject(new Error(`Could not load ${src}; build the web project so wwwroot/lib is filled.`));
        document.head.appendChild(script);
    });
}

function ensureLibraries() {
    if (!loaded) {
        loaded = (async () => {
            for (const src of libraries) {
                await loadScript(src);
            }
            // cytoscape-svg registers itself on the global cytoscape it finds when loaded.
            elk = new window.ELK({ workerUrl: url('lib/elkjs/elk-worker.min.js') });
        })();
    }
    return loaded;
}

const validationColours = { passed: '#2e7d32', failed: '#c62828', running: '#ef6c00', queued: '#ef6c00', missing: '#90a4ae' };
const runColours = { finished: '#2e7d32', failed: '#c62828', crashed: '#6a1b1b', killed: '#6d4c41', running: '#1565c0' };
const typeColours = ['#e3f2fd', '#e8f5e9', '#fff3e0', '#f3e5f5', '#e0f7fa', '#fce4ec', '#f1f8e9', '#ede7f6'];

function typeColour(type) {
    let hash = 0;
    for (const c of type ?? '') hash = ((hash * 31) + c.charCodeAt(0)) >>> 0;
    return typeColours[hash % typeColours.length];
}

function nodeElement(node, focusId) {
    const data = { id: node.id, kind: node.kind, depth: node.depth, label: node.label, focus: node.id === focusId };
    if (node.version) {
        const v = node.version;
        data.type = v.artifactType;
        data.filterKey = `artifact:${v.artifactType}`;
        data.aliases = v.aliases.join(' ');
        const badges = v.aliases.length ? `\n${v.aliases.map(a => `[${a}]`).join(' ')}` : '';
        data.display = `${node.label}\n${v.artifactType}${v.isLatest ? ' · latest' : ''}${badges}`;
        data.border = validationColours[v.validation] ?? validationColours.missing;
        data.fill = typeColour(v.artifactType);
        data.aliased = v.aliases.length > 0;
    } else if (node.run) {
        const r = node.run;
        data.type = r.jobType;
        data.filterKey = `job:${r.jobType}`;
        data.display = `${r.name}\n${r.jobType} · ${r.status}`;
        data.border = runColours[r.status] ?? '#607d8b';
        data.fill = '#ffffff';
    } else {
        const c = node.cluster;
        data.type = c.type;
        data.filterKey = c.nodeKind === 'run' ? `job:${c.type}` : `artifact:${c.type}`;
        data.display = `${node.label}\ndouble-click to expand`;
        data.border = '#78909c';
        data.fill = '#eceff1';
    }
    return { group: 'nodes', data };
}

function edgeElement(edge) {
    return { group: 'edges', data: { id: `${edge.source}->${edge.target}`, source: edge.source, target: edge.target, kind: edge.kind } };
}

function style(large) {
    return [
        {
            selector: 'node',
            style: {
                'shape': 'round-rectangle', 'width': 190, 'height': 58, 'background-color': 'data(fill)',
                'border-width': 2, 'border-color': 'data(border)', 'label': 'data(display)', 'text-wrap': 'wrap',
                'text-max-width': 178, 'text-valign': 'center', 'text-halign': 'center', 'font-size': 13,
                'font-family': 'Inter, Roboto, Helvetica, Arial, sans-serif', 'color': '#263238', 'line-height': 1.25,
                'min-zoomed-font-size': large ? 9 : 0,
            },
        },
        { selector: 'node[kind = "run"]', style: { 'shape': 'cut-rectangle', 'border-width': 3 } },
        { selector: 'node[kind = "cluster"]', style: { 'border-style': 'dashed', 'color': '#455a64', 'font-style': 'italic' } },
        { selector: 'node[?aliased]', style: { 'border-width': 4, 'font-weight': 600 } },
        { selector: 'node[?focus]', style: { 'underlay-color': '#1976d2', 'underlay-opacity': 0.25, 'underlay-padding': 8 } },
        { selector: 'node:selected', style: { 'underlay-color': '#1976d2', 'underlay-opacity': 0.45, 'underlay-padding': 6 } },
        {
            selector: 'edge',
            style: {
                'width': 1.6, 'line-color': '#90a4ae', 'target-arrow-color': '#90a4ae', 'target-arrow-shape': 'triangle',
                'curve-style': large ? 'straight' : 'bezier', 'arrow-scale': 0.9,
            },
        },
        { selector: 'edge[kind = "cluster"]', style: { 'line-style': 'dashed' } },
        { selector: '.faded', style: { 'opacity': 0.15 } },
        { selector: 'node.path', style: { 'underlay-color': '#ff9800', 'underlay-opacity': 0.3, 'underlay-padding': 5 } },
        { selector: 'edge.path', style: { 'line-color': '#ef6c00', 'target-arrow-color': '#ef6c00', 'width': 3, 'z-index': 9 } },
        { selector: '.filtered', style: { 'display': 'none' } },
    ];
}

function layoutOptions(count, direction) {
    const options = {
        'elk.algorithm': 'layered',
        'elk.direction': direction,
        'elk.spacing.nodeNode': '22',
        'elk.layered.spacing.nodeNodeBetweenLayers': '70',
        'elk.spacing.componentComponent': '60',
        'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    };
    if (count > 150) {
        // Medium graphs: one sweep of crossing minimisation, no greedy switching, straight segments; and neither the
        // input order kept nor components packed apart, which took about a fifth of the layout of a 200-node graph.
        Object.assign(options, {
            'elk.layered.thoroughness': '1',
            'elk.layered.crossingMinimization.greedySwitch.type': 'OFF',
            'elk.edgeRouting': 'POLYLINE',
            'elk.layered.considerModelOrder.strategy': 'NONE',
            'elk.separateConnectedComponents': 'false',
        });
    }
    return options;
}

// Above this many nodes the layers are placed here in linear time instead of by ELK: measured in headless Chromium,
// ELK's layered algorithm took minutes for 2,000 nodes on a busy two-core machine, even with its cheapest options.
const quickLayoutAbove = 1000;

/** The smallest zoom a small graph is fitted at, so node text stays readable. */
const readableZoom = 0.85;

const nodeWidth = 190;
const nodeHeight = 58;

/**
 * Layered placement in O(nodes + edges): longest-path layers (edges in cycles are ignored), then one sweep that
 * orders each layer by the mean position of its predecessors, so paths run mostly straight. `ids` are node ids,
 * `links` [source, target] pairs; answers node centres by id.
 */
function quickLayered(ids, links, direction) {
    const index = new Map(ids.map((id, i) => [id, i]));
    const successors = ids.map(() => []);
    const predecessors = ids.map(() => []);
    const incoming = new Array(ids.length).fill(0);
    for (const [source, target] of links) {
        const s = index.get(source), t = index.get(target);
        if (s === undefined || t === undefined || s === t) continue;
        successors[s].push(t);
        predecessors[t].push(s);
        incoming[t]++;
    }
    const layer = new Array(ids.length).fill(0);
    const queue = [];
    incoming.forEach((count, i) => { if (count === 0) queue.push(i); });
    const placed = new Array(ids.length).fill(false);
    let unplaced = 0;
    for (let head = 0; head < queue.length || unplaced < ids.length; head++) {
        if (head >= queue.length) {
            // Only cycles are left: start from any unplaced node after its placed predecessors.
            while (placed[unplaced]) unplaced++;
            if (unplaced >= ids.length) break;
            const next = unplaced;
            layer[next] = Math.max(0, ...predecessors[next].filter(p => placed[p]).map(p => layer[p] + 1));
            queue.push(next);
        }
        const n = queue[head];
        if (placed[n]) continue;
        placed[n] = true;
        for (const t of successors[n]) {
            if (placed[t]) continue;
            layer[t] = Math.max(layer[t], layer[n] + 1);
            if (--incoming[t] === 0) queue.push(t);
        }
    }
    const layers = [];
    layer.forEach((l, i) => (layers[l] ??= []).push(i));
    const order = new Array(ids.length).fill(0);
    const positions = new Map();
    const across = nodeHeight + 22, along = nodeWidth + 70;
    layers.forEach((members, l) => {
        if (!members) return;
        if (l > 0) {
            const means = new Map(members.map(i => {
                const ps = predecessors[i].filter(p => layer[p] < l);
                return [i, ps.length ? ps.reduce((sum, p) => sum + order[p], 0) / ps.length : Number.MAX_SAFE_INTEGER];
            }));
            members.sort((a, b) => means.get(a) - means.get(b));
        }
        members.forEach((n, k) => {
            order[n] = k;
            const a = l * along, b = (k - (members.length / 2)) * across;
            positions.set(ids[n], direction === 'DOWN' ? { x: b, y: a } : { x: a, y: b });
        });
    });
    return positions;
}

/** The ELK graph for plain ids and [source, target] pairs; pairs whose ends are not both in `ids` are left out. */
function elkGraph(ids, links, direction) {
    const known = new Set(ids);
    return {
        id: 'root',
        layoutOptions: layoutOptions(ids.length, direction),
        children: ids.map(id => ({ id, width: nodeWidth, height: nodeHeight })),
        edges: links.filter(([source, target]) => known.has(source) && known.has(target))
            .map(([source, target], i) => ({ id: `e${i}`, sources: [source], targets: [target] })),
    };
}

/**
 * Node centres by id: ELK's layered algorithm in its worker, or the linear-time placement above `quickLayoutAbove`
 * nodes (computed at once, before the returned promise is awaited).
 */
function place(ids, links, direction, timings) {
    const started = performance.now();
    if (ids.length > quickLayoutAbove) {
        const positions = quickLayered(ids, links, direction);
        timings.layoutMs = performance.now() - started;
        timings.layout = 'layered-linear';
        return { positions, ready: Promise.resolve(positions) };
    }
    const ready = elk.layout(elkGraph(ids, links, direction)).then(laid => {
        timings.layoutMs = performance.now() - started;
        timings.layout = 'elk-layered';
        return new Map(laid.children.map(c => [c.id, { x: c.x + (c.width / 2), y: c.y + (c.height / 2) }]));
    });
    return { positions: null, ready };
}

/** Fits the diagram: around the focus (two steps out) on large graphs, else all of it; then waits for the first frame. */
async function fitAndPaint(diagram, fitTo) {
    const fitStarted = performance.now();
    const cy = diagram.cy;
    const focus = fitTo ? cy.getElementById(fitTo) : null;
    if (cy.nodes().length > 60 && focus && focus.nonempty()) {
        cy.fit(focus.closedNeighborhood().closedNeighborhood(), 60);
    } else {
        cy.fit(undefined, 30);
    }
    // A pipeline wider than the view would be shrunk until its labels cannot be read; below this zoom (13 px text
    // drawn at 11 px) the view keeps a readable size, centred on the focus and its neighbours, and the rest is a pan away.
    if (cy.zoom() < readableZoom && cy.nodes().length <= 60) {
        cy.zoom(readableZoom);
        cy.center(focus && focus.nonempty() ? focus.closedNeighborhood() : undefined);
    }
    const frameStarted = performance.now();
    diagram.timings.fitMs = frameStarted - fitStarted;
    await new Promise(resolve => requestAnimationFrame(() => resolve()));
    diagram.timings.frameMs = performance.now() - frameStarted;
}

async function relayout(diagram, fitTo) {
    const token = ++diagram.layoutToken;
    diagram.container.dataset.lineageReady = 'false';
    const cy = diagram.cy;
    const visible = cy.nodes().not('.filtered');
    const positions = await place(visible.map(n => n.id()), cy.edges().map(e => [e.data('source'), e.data('target')]), diagram.direction, diagram.timings).ready;
    if (token !== diagram.layoutToken) return;
    cy.batch(() => visible.forEach(n => {
        const p = positions.get(n.id());
        if (p) n.position(p);
    }));
    await fitAndPaint(diagram, fitTo);
    if (token !== diagram.layoutToken) return;
    diagram.container.dataset.lineageReady = 'true';
}

function highlight(cy, node) {
    const path = node.predecessors().union(node.successors()).union(node);
    cy.batch(() => {
        cy.elements().addClass('faded');
        path.removeClass('faded').addClass('path');
    });
}

function clearHighlight(cy) {
    cy.batch(() => cy.elements().removeClass('faded path'));
}

/**
 * Draws a graph (the API's LineageGraphResponse) into the element and resolves with a handle once it is laid out.
 * `callbacks` is a .NET object reference with OnNodeSelected(id) and OnNodeExpand(id), or null.
 */
export async function render(container, callbacks, graph, options) {
    const totalStarted = performance.now();
    container.dataset.lineageReady = 'false';
    await ensureLibraries();
    const librariesDone = performance.now();
    const direction = options?.direction ?? 'RIGHT';
    const timings = { librariesMs: librariesDone - totalStarted };
    // Large graphs are placed at once and created where they belong. ELK works in its worker meanwhile for the others,
    // while this thread creates the diagram and computes its styles and label sizes inside a batch, so that nothing
    // is drawn (or measured) for a pile of nodes at the origin; the positions are set when the layout arrives.
    const placing = place(graph.nodes.map(n => n.id), graph.edges.map(e => [e.source, e.target]), direction, timings);
    const createStarted = performance.now();
    const large = graph.nodes.length > 500;
    const elements = graph.nodes.map(n => {
        const element = nodeElement(n, graph.focusId);
        element.position = placing.positions?.get(n.id) ?? { x: 0, y: 0 };
        return element;
    });
    for (const e of graph.edges) elements.push(edgeElement(e));
    const cy = window.cytoscape({
        container,
        elements,
        style: style(large),
        layout: { name: 'preset', fit: false },
        minZoom: 0.05,
        maxZoom: 2.5,
        wheelSensitivity: 0.3,
        boxSelectionEnabled: false,
        textureOnViewport: large,
        hideEdgesOnViewport: large,
        motionBlur: false,
        pixelRatio: large ? 1 : 'auto',
    });
    if (!placing.positions) {
        cy.startBatch();
        try {
            cy.nodes().forEach(n => n.boundingBox());
            cy.edges().forEach(e => e.pstyle('curve-style'));
            timings.createMs = performance.now() - createStarted;
            const positions = await placing.ready;
            cy.nodes().positions(n => positions.get(n.id()) ?? { x: 0, y: 0 });
        } catch (error) {
            cy.destroy();
            throw error;
        } finally {
            if (!cy.destroyed()) cy.endBatch();
        }
    } else {
        timings.createMs = performance.now() - createStarted;
    }
    const handle = nextHandle++;
    const diagram = { cy, container, callbacks, direction, focusId: graph.focusId, layoutToken: 0, timings };
    diagrams.set(handle, diagram);

    cy.on('tap', 'node', e => callbacks?.invokeMethodAsync('OnNodeSelected', e.target.id()));
    cy.on('tap', e => {
        if (e.target === cy) callbacks?.invokeMethodAsync('OnNodeSelected', null);
    });
    cy.on('dbltap', 'node', e => callbacks?.invokeMethodAsync('OnNodeExpand', e.target.id()));
    cy.on('mouseover', 'node', e => highlight(cy, e.target));
    cy.on('mouseout', 'node', () => clearHighlight(cy));

    await fitAndPaint(diagram, graph.focusId);
    timings.totalMs = performance.now() - totalStarted;
    container.dataset.lineageNodes = String(cy.nodes().length);
    if (diagram.layoutToken === 0) container.dataset.lineageReady = 'true';
    return handle;
}

/** Adds the nodes and edges of another answer (an expansion), drops the ids in `remove` (the expanded cluster), re-lays out. */
export async function merge(handle, graph, remove) {
    const diagram = diagrams.get(handle);
    if (!diagram) return 0;
    const cy = diagram.cy;
    cy.batch(() => {
        for (const id of remove ?? []) cy.getElementById(id).remove();
        const fresh = graph.nodes.filter(n => cy.getElementById(n.id).empty()).map(n => nodeElement(n, diagram.focusId));
        cy.add(fresh);
        const edges = graph.edges.filter(e => cy.getElementById(`${e.source}->${e.target}`).empty()
            && cy.getElementById(e.source).nonempty() && cy.getElementById(e.target).nonempty());
        cy.add(edges.map(edgeElement));
    });
    await relayout(diagram, graph.focusId);
    diagram.container.dataset.lineageNodes = String(cy.nodes().length);
    return cy.nodes().length;
}

export function fit(handle) {
    diagrams.get(handle)?.cy.fit(undefined, 30);
}

export async function setDirection(handle, direction) {
    const diagram = diagrams.get(handle);
    if (!diagram) return;
    diagram.direction = direction;
    await relayout(diagram, null);
}

/** Hides nodes whose artifact type or job type ("artifact:chunks", "job:indexing") is in `hidden`, then re-lays out. */
export async function filter(handle, hidden) {
    const diagram = diagrams.get(handle);
    if (!diagram) return;
    const set = new Set(hidden);
    diagram.cy.batch(() => diagram.cy.nodes().forEach(n => n.toggleClass('filtered', set.has(n.data('filterKey')))));
    await relayout(diagram, null);
}

/** Centres and selects a node. */
export function focusNode(handle, id) {
    const diagram = diagrams.get(handle);
    const node = diagram?.cy.getElementById(id);
    if (!node || node.empty()) return false;
    diagram.cy.elements().unselect();
    node.select();
    diagram.cy.animate({ center: { eles: node }, zoom: Math.max(diagram.cy.zoom(), 1) }, { duration: 250 });
    return true;
}

function download(name, href) {
    const link = document.createElement('a');
    link.href = href;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
}

export function exportPng(handle, name) {
    const cy = diagrams.get(handle)?.cy;
    if (!cy) return;
    download(name, cy.png({ full: true, scale: 2, bg: '#ffffff' }));
}

export function exportSvg(handle, name) {
    const cy = diagrams.get(handle)?.cy;
    if (!cy) return;
    const svg = cy.svg({ full: true, bg: '#ffffff' });
    const href = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
    download(name, href);
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

/** Layout and total times of the last render, for measurements. */
export function timings(handle) {
    return diagrams.get(handle)?.timings ?? null;
}

export function dispose(handle) {
    diagrams.get(handle)?.cy.destroy();
    diagrams.delete(handle);
}

/** Arrow keys move between the rows of a lineage table; Enter follows the row's link. */
export function enableTableKeys(table) {
    if (!table || table.dataset.keys === 'on') return;
    table.dataset.keys = 'on';
    table.addEventListener('keydown', e => {
        const row = e.target.closest('tr[tabindex]');
        if (!row) return;
        const rows = [...table.querySelectorAll('tr[tabindex]')];
        const index = rows.indexOf(row);
        let next = null;
        if (e.key === 'ArrowDown') next = rows[index + 1];
        else if (e.key === 'ArrowUp') next = rows[index - 1];
        else if (e.key === 'Home') next = rows[0];
        else if (e.key === 'End') next = rows[rows.length - 1];
        else if (e.key === 'Enter' && e.target === row) row.querySelector('a')?.click();
        if (next) {
            e.preventDefault();
            next.focus();
        }
    });
}
