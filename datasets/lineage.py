"""A version's lineage as a graph, laid out in layers and drawn as SVG on the server.

No JavaScript: the SVG is part of the page (and of PDFs). Layers come from
longest-path layering (a version sits one layer right of its furthest parent),
the order within a layer from a barycentre pass that keeps edges short, and
each edge is a curve with an arrowhead defined once in ``<defs>``. Colours are
presentation attributes and classes, never ``style=``, so the page's CSP holds.
Every label is escaped.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

NODE_WIDTH = 190
NODE_HEIGHT = 46
LAYER_GAP = 70
ROW_GAP = 22
MARGIN = 16
LABEL_CHARACTERS = 26


@dataclass(frozen=True)
class LineageNode:
    """A version in the graph."""

    id: int
    dataset_slug: str
    dataset_name: str
    label: str
    created_at: datetime | None = None

    @property
    def title(self) -> str:
        return f"{self.dataset_slug}@{self.label}"


@dataclass(frozen=True)
class LineageEdge:
    """``child`` was derived from ``parent``."""

    parent_id: int
    child_id: int
    transformation: str = ""


@dataclass
class LineageGraph:
    """The focus version with its ancestors and descendants, and the edges among them."""

    focus_id: int
    nodes: dict[int, LineageNode] = field(default_factory=dict)
    edges: list[LineageEdge] = field(default_factory=list)
    truncated: bool = False

    @property
    def ancestors(self) -> set[int]:
        return self._reach(lambda edge: (edge.child_id, edge.parent_id))

    @property
    def descendants(self) -> set[int]:
        return self._reach(lambda edge: (edge.parent_id, edge.child_id))

    def _reach(self, direction) -> set[int]:
        steps = defaultdict(list)
        for edge in self.edges:
            source, target = direction(edge)
            steps[source].append(target)
        seen: set[int] = set()
        frontier = [self.focus_id]
        while frontier:
            nxt = [target for source in frontier for target in steps[source] if target not in seen]
            seen.update(nxt)
            frontier = nxt
        seen.discard(self.focus_id)
        return seen


@dataclass(frozen=True)
class Placed:
    """A node with the top-left corner of its box in the drawing."""

    node: LineageNode
    x: int
    y: int


def layers(graph: LineageGraph) -> list[list[int]]:
    """Return node ids per layer, sources first, ordered within each layer to keep edges short."""
    parents = defaultdict(list)
    for edge in graph.edges:
        parents[edge.child_id].append(edge.parent_id)
    depth: dict[int, int] = {}

    def layer_of(node_id: int, trail: frozenset = frozenset()) -> int:
        if node_id in depth:
            return depth[node_id]
        if node_id in trail:
            raise ValueError("Lineage has a loop, which the registry never records.")
        above = [layer_of(parent, trail | {node_id}) for parent in parents[node_id] if parent in graph.nodes]
        depth[node_id] = 1 + max(above) if above else 0
        return depth[node_id]

    for node_id in graph.nodes:
        layer_of(node_id)
    grouped: list[list[int]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node_id in sorted(graph.nodes, key=lambda pk: (graph.nodes[pk].dataset_slug, graph.nodes[pk].label, pk)):
        grouped[depth[node_id]].append(node_id)
    position = {node_id: index for group in grouped for index, node_id in enumerate(group)}
    for group in grouped[1:]:
        def barycentre(node_id: int) -> float:
            above = [position[parent] for parent in parents[node_id] if parent in position]
            return sum(above) / len(above) if above else position[node_id]

        group.sort(key=lambda node_id: (barycentre(node_id), position[node_id]))
        position.update({node_id: index for index, node_id in enumerate(group)})
    return grouped


def place(graph: LineageGraph) -> tuple[list[Placed], int, int]:
    """Return each node's top-left corner and the drawing's width and height."""
    grouped = layers(graph)
    tallest = max((len(group) for group in grouped), default=0)
    height = 2 * MARGIN + tallest * NODE_HEIGHT + max(tallest - 1, 0) * ROW_GAP
    width = 2 * MARGIN + len(grouped) * NODE_WIDTH + max(len(grouped) - 1, 0) * LAYER_GAP
    placed = []
    for layer_number, group in enumerate(grouped):
        column_height = len(group) * NODE_HEIGHT + max(len(group) - 1, 0) * ROW_GAP
        top = MARGIN + (height - 2 * MARGIN - column_height) // 2
        for index, node_id in enumerate(group):
            placed.append(
                Placed(
                    node=graph.nodes[node_id],
                    x=MARGIN + layer_number * (NODE_WIDTH + LAYER_GAP),
                    y=top + index * (NODE_HEIGHT + ROW_GAP),
                )
            )
    return placed, width, height


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARACTERS else text[: LABEL_CHARACTERS - 1] + "…"


def render_svg(graph: LineageGraph, *, href_for: Callable[[LineageNode], str] | None = None) -> SafeString:
    """Return the lineage as an SVG element, safe to put in a page as it is.

    ``href_for`` gives each node's link (a version page); without it, or
    where it gives an empty string, nodes are not links.
    """
    placed, width, height = place(graph)
    where = {item.node.id: item for item in placed}
    marker = f"lineage-arrow-{graph.focus_id}"
    focus = graph.nodes.get(graph.focus_id)
    title = f"Lineage of {focus.title}" if focus else "Lineage"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lineage" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img" aria-labelledby="lineage-title-{graph.focus_id}">',
        f'<title id="lineage-title-{graph.focus_id}">{escape(title)}</title>',
        "<defs>",
        f'<marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8"'
        ' orient="auto-start-reverse" markerUnits="userSpaceOnUse">',
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#4a5560"/>',
        "</marker>",
        "</defs>",
        '<g class="lineage-edges">',
    ]
    for edge in graph.edges:
        if edge.parent_id not in where or edge.child_id not in where:
            continue
        start, end = where[edge.parent_id], where[edge.child_id]
        x1, y1 = start.x + NODE_WIDTH, start.y + NODE_HEIGHT // 2
        x2, y2 = end.x, end.y + NODE_HEIGHT // 2
        bend = max((x2 - x1) // 2, 20)
        note = edge.transformation or "derived from"
        parts.append(
            f'<path class="lineage-edge" d="M {x1} {y1} C {x1 + bend} {y1}, {x2 - bend} {y2}, {x2} {y2}"'
            f' fill="none" stroke="#4a5560" stroke-width="1.5" marker-end="url(#{marker})">'
            f"<title>{escape(start.node.title)} → {escape(end.node.title)}: {escape(note)}</title></path>"
        )
    parts += ["</g>", '<g class="lineage-nodes">']
    for item in placed:
        node = item.node
        is_focus = node.id == graph.focus_id
        classes = "lineage-node lineage-focus" if is_focus else "lineage-node"
        fill, stroke = ("#e6f0fa", "#1d5fa8") if is_focus else ("#ffffff", "#7a8794")
        shape = (
            f'<rect x="{item.x}" y="{item.y}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="6"'
            f' fill="{fill}" stroke="{stroke}" stroke-width="{2 if is_focus else 1}"/>'
            f'<text class="lineage-dataset" x="{item.x + 10}" y="{item.y + 19}" font-size="13"'
            f' font-weight="600" fill="#1f2933">{escape(_short(node.dataset_name))}</text>'
            f'<text class="lineage-label" x="{item.x + 10}" y="{item.y + 36}" font-size="12"'
            f' fill="#4a5560">{escape(_short(node.label))}</text>'
        )
        tooltip = f"<title>{escape(node.title)}</title>"
        href = href_for(node) if href_for is not None else ""
        if href:
            shape = f'<a href="{escape(href)}">{shape}</a>'
        parts.append(f'<g class="{classes}" data-version="{node.id}">{tooltip}{shape}</g>')
    parts += ["</g>", "</svg>"]
    return mark_safe("".join(parts))
