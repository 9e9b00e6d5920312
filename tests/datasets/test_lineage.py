"""The lineage drawing: layered layout and a CSP-safe, escaped SVG."""

import re
import xml.etree.ElementTree as ElementTree

import pytest

from datasets.lineage import LineageEdge, LineageGraph, LineageNode, layers, render_svg

SVG = "{http://www.w3.org/2000/svg}"


def node(pk, label, dataset="shop"):
    return LineageNode(id=pk, dataset_slug=dataset, dataset_name=dataset.title(), label=label)


@pytest.fixture
def graph():
    # raw(1) → clean(2) → features(4); orders(3) → clean(2); raw(1) → features(4) directly too.
    return LineageGraph(
        focus_id=2,
        nodes={1: node(1, "raw"), 2: node(2, "clean"), 3: node(3, "o1", "orders"), 4: node(4, "features")},
        edges=[
            LineageEdge(parent_id=1, child_id=2, transformation="dedupe"),
            LineageEdge(parent_id=3, child_id=2),
            LineageEdge(parent_id=2, child_id=4),
            LineageEdge(parent_id=1, child_id=4),
        ],
    )


def test_layers_follow_the_longest_path_from_a_source(graph):
    assert [sorted(layer) for layer in layers(graph)] == [[1, 3], [2], [4]]


def test_the_svg_draws_every_node_and_edge_with_one_arrowhead_definition(graph):
    svg = str(render_svg(graph, href_for=lambda n: f"/datasets/{n.dataset_slug}/versions/{n.label}/"))
    root = ElementTree.fromstring(svg)

    markers = root.findall(f"{SVG}defs/{SVG}marker")
    assert [marker.get("id") for marker in markers] == ["lineage-arrow-2"]
    edges = root.findall(f".//{SVG}path[@class='lineage-edge']")
    assert len(edges) == 4 and all(edge.get("marker-end") == "url(#lineage-arrow-2)" for edge in edges)
    nodes = root.findall(f".//{SVG}g[@data-version]")
    assert sorted(int(g.get("data-version")) for g in nodes) == [1, 2, 3, 4]
    focus = [g for g in nodes if "lineage-focus" in g.get("class")]
    assert [g.get("data-version") for g in focus] == ["2"]
    assert {a.get("href") for a in root.iter(f"{SVG}a")} >= {"/datasets/shop/versions/clean/"}
    assert "shop@raw → shop@clean: dedupe" in [t.text for t in root.iter(f"{SVG}title")]


def test_the_svg_has_no_style_attribute_or_script(graph):
    svg = str(render_svg(graph))
    assert "style=" not in svg and "<script" not in svg and "<style" not in svg


def test_labels_are_escaped(graph):
    graph.nodes[3] = LineageNode(id=3, dataset_slug="x", dataset_name='<script>alert("x")</script>', label="a&b")
    graph.edges[1] = LineageEdge(parent_id=3, child_id=2, transformation="<img src=x onerror=alert(1)>")
    svg = str(render_svg(graph))

    ElementTree.fromstring(svg)  # still well-formed XML
    assert "<script>" not in svg and "<img" not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/scrip…" in svg
    assert "a&amp;b" in svg


def test_nodes_do_not_overlap_and_fit_the_drawing(graph):
    root = ElementTree.fromstring(str(render_svg(graph)))
    width, height = int(root.get("width")), int(root.get("height"))
    boxes = [
        (int(rect.get("x")), int(rect.get("y")), int(rect.get("width")), int(rect.get("height"))) for rect in root.iter(f"{SVG}rect")
    ]
    for index, (x, y, w, h) in enumerate(boxes):
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height
        for other in boxes[index + 1 :]:
            ox, oy, ow, oh = other
            assert x + w <= ox or ox + ow <= x or y + h <= oy or oy + oh <= y
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox"))


def test_a_single_version_draws_alone():
    root = ElementTree.fromstring(str(render_svg(LineageGraph(focus_id=7, nodes={7: node(7, "v1")}))))
    assert len(list(root.iter(f"{SVG}rect"))) == 1 and not root.findall(f".//{SVG}path[@class='lineage-edge']")
