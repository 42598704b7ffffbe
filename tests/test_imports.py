"""kinpaint's modules import one another without cycles, read from their source (nothing is imported)."""

import ast
import os

import kinpaint

PACKAGE = os.path.dirname(kinpaint.__file__)


def kinpaint_modules():
    """`{dotted name: path}` of every module of kinpaint (a package by its `__init__.py`)."""
    modules = {}
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                parts = ["kinpaint", *os.path.relpath(path, PACKAGE)[:-3].split(os.sep)]
                modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def import_graph(modules, in_functions):
    """`{module: the kinpaint modules it imports}`; at load time only unless `in_functions`."""
    graph = {}
    for module, path in modules.items():
        with open(path, encoding="utf-8") as file:
            tree = ast.parse(file.read())
        package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
        imported = set()
        for node in ast.walk(tree) if in_functions else tree.body:
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([base] if base else []))
                imported.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                                for alias in node.names)
        graph[module] = {name for name in imported if name in modules and name != module}
    return graph


def cycles(graph):
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, found = {}, {}, [], []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in graph[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = stack[stack.index(module):]
            del stack[stack.index(module):]
            if len(group) > 1:
                found.append(sorted(group))

    for module in graph:
        if module not in index:
            visit(module)
    return found


def test_no_kinpaint_module_imports_in_a_cycle_at_load_time():
    assert cycles(import_graph(kinpaint_modules(), in_functions=False)) == []


def test_no_kinpaint_module_imports_in_a_cycle_even_inside_functions():
    assert cycles(import_graph(kinpaint_modules(), in_functions=True)) == []


def test_the_graph_sees_a_cycle_made_inside_a_function(tmp_path):
    (tmp_path / "a.py").write_text("from kinpaint.b import x\n")
    (tmp_path / "b.py").write_text("def f():\n    from kinpaint.a import y\n")
    modules = {"kinpaint.a": str(tmp_path / "a.py"), "kinpaint.b": str(tmp_path / "b.py")}
    assert cycles(import_graph(modules, in_functions=False)) == []
    assert cycles(import_graph(modules, in_functions=True)) == [["kinpaint.a", "kinpaint.b"]]
