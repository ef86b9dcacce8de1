// validate.mjs checks an RDF graph against the SHACL shapes of CASE 1.4.0 and UCO 1.4.0, as
// case-utils' case_validate applies them with pySHACL: the shapes are the ontology files; the
// data graph is the graph to check with the ontology mixed in (so that sh:targetClass reaches
// instances of subclasses, and the SPARQL constraints that read the ontology find it); no
// inference. A concept of a CASE or UCO namespace that the ontology does
// not define is reported too, as case_validate does.
//
// Core constraints are shacl-engine's. SPARQL-based constraints (sh:sparql, 28 in UCO and
// CASE 1.4.0) are evaluated with Oxigraph, with $this pre-bound by a VALUES clause, each
// sh:sparql of a shape on its own: shacl-engine's own SPARQL support starts a new query
// engine for every focus node (minutes for one small graph) and reads a single sh:select per
// shape, where UCO's shapes have several.
//
//	node validate.mjs ONTOLOGY_DIR GRAPH.nq   prints a JSON report on standard output
//
// Exit status: 0 when the report was written (conforming or not), 2 on bad input.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import rdfDataModel from '@rdfjs/data-model'
import rdfDataset from '@rdfjs/dataset'
import toNT from '@rdfjs/to-ntriples'
import * as oxigraph from 'oxigraph'
import Validator from 'shacl-engine/Validator.js'

const [ontologyDir, graphFile] = process.argv.slice(2)
if (!ontologyDir || !graphFile) {
  console.error('usage: node validate.mjs ONTOLOGY_DIR GRAPH.nq')
  process.exit(2)
}

const SH = 'http://www.w3.org/ns/shacl#'
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type'

function ttlFiles (dir) {
  return readdirSync(dir).sort().flatMap(name => {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) return ttlFiles(p)
    return name.endsWith('.ttl') ? [p] : []
  })
}

function parse (file, format) {
  try {
    return oxigraph.parse(readFileSync(file, 'utf8'), { format, base_iri: 'urn:evx:base:' })
  } catch (err) {
    console.error(`${file}: ${err.message || err}`)
    process.exit(2)
  }
}

// Oxigraph's terms are RDF/JS terms; copy them into the data model shacl-engine expects.
function term (t) {
  switch (t.termType) {
    case 'NamedNode': return rdfDataModel.namedNode(t.value)
    case 'BlankNode': return rdfDataModel.blankNode(t.value)
    case 'Literal': return rdfDataModel.literal(t.value, t.language || rdfDataModel.namedNode(t.datatype.value))
    default: return rdfDataModel.defaultGraph()
  }
}
const quad = q => rdfDataModel.quad(term(q.subject), term(q.predicate), term(q.object))

const ontology = rdfDataset.dataset()
for (const f of ttlFiles(ontologyDir)) {
  for (const q of parse(f, 'text/turtle')) ontology.add(quad(q))
}
const graph = parse(graphFile, 'application/n-quads').map(quad)

const data = rdfDataset.dataset()
for (const q of ontology) data.add(q)
for (const q of graph) data.add(q)

// Concepts of the CASE and UCO namespaces that the graph uses and the ontology does not define.
const cdo = iri => iri.startsWith('https://ontology.unifiedcyberontology.org/') ||
  iri.startsWith('https://ontology.caseontology.org/')
const defined = new Set()
for (const q of ontology) {
  if (q.predicate.value === RDF_TYPE && q.subject.termType === 'NamedNode') defined.add(q.subject.value)
}
const undefinedConcepts = new Set()
for (const q of graph) {
  if (cdo(q.predicate.value) && !defined.has(q.predicate.value)) undefinedConcepts.add(q.predicate.value)
  if (q.predicate.value === RDF_TYPE && q.object.termType === 'NamedNode' && cdo(q.object.value) &&
      !defined.has(q.object.value)) undefinedConcepts.add(q.object.value)
}

// SPARQL-based constraints over one Oxigraph store of the data graph.
const store = new oxigraph.Store()
store.load([...data].map(q => toNT(q)).join('\n') + '\n', { format: 'application/n-triples' })
const sameTerm = (a, b) => a.termType === b.termType && a.value === b.value

function prefixes (ptr, out = []) {
  for (const imported of ptr.out([rdfDataModel.namedNode('http://www.w3.org/2002/07/owl#imports')])) prefixes(imported, out)
  for (const d of ptr.out([rdfDataModel.namedNode(SH + 'declare')])) {
    out.push(`PREFIX ${d.out([rdfDataModel.namedNode(SH + 'prefix')]).value}: <${d.out([rdfDataModel.namedNode(SH + 'namespace')]).value}>`)
  }
  return out
}

function sparqlPath (path) {
  if (!path) return null
  return path.map(step => {
    let s = step.start === 'object' && step.end === 'subject' ? '^' : ''
    s += step.predicates.map(p => `<${p.value}>`).join('|')
    return s + ({ oneOrMore: '+', zeroOrMore: '*', zeroOrOne: '?' }[step.quantifier] || '')
  }).join('/')
}

const standardPrefixes = {
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  owl: 'http://www.w3.org/2002/07/owl#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  sh: SH
}

function compileSparql (shape) {
  const checks = shape.sparql.terms.map(t => compileOne(shape, shape.ptr.node([t])))
  return {
    generic: async context => {
      for (const check of checks) await check(context)
    }
  }
}

// preBind binds $this to a named focus node as pySHACL does: the variable becomes the node
// wherever it appears, and leaves the projection (SELECT * when nothing else is projected).
function preBind (query, node) {
  const select = /SELECT\s+(DISTINCT\s+|REDUCED\s+)?([^{]*?)\s*(WHERE\s*)?\{/i.exec(query)
  if (!select) throw new Error(`no SELECT in SPARQL constraint:\n${query}`)
  const projection = select[2].replace(/[$?]this\b/g, '').trim() || '*'
  const head = query.slice(0, select.index) + 'SELECT ' + (select[1] || '') + projection + ' WHERE {'
  return head + query.slice(select.index + select[0].length).replace(/[$?]this\b/g, node)
}

function compileOne (shape, sparql) {
  const message = sparql.out([rdfDataModel.namedNode(SH + 'message')]).terms
  const text = [...prefixes(sparql.out([rdfDataModel.namedNode(SH + 'prefixes')])), sparql.out([rdfDataModel.namedNode(SH + 'select')]).value]
    .filter(Boolean).join('\n').split('$PATH').join(sparqlPath(shape.path))
  // pySHACL (through rdflib) knows these prefixes in every query without a declaration, and
  // some of the shapes rely on it.
  const known = Object.entries(standardPrefixes)
    .filter(([p]) => !new RegExp(`PREFIX\\s+${p}:`, 'i').test(text))
    .map(([p, ns]) => `PREFIX ${p}: <${ns}>\n`).join('')
  const run = query => {
    try {
      return store.query(query)
    } catch (err) {
      throw new Error(`SPARQL constraint of ${shape.ptr.value}: ${err.message || err}\n${query}`)
    }
  }
  // A blank focus node cannot be named in VALUES: the query runs once unbound, and a blank
  // node's rows are those whose ?this is that node.
  let unbound
  return async context => {
    const focus = context.focusNode.term
    let rows
    if (focus.termType === 'BlankNode') {
      unbound = unbound || run(known + text)
      rows = unbound.filter(row => row.has('this') && sameTerm(row.get('this'), focus))
    } else {
      rows = run(known + preBind(text, toNT(focus)))
    }
    for (const row of rows) {
      const args = {}
      for (const [k, v] of row) args[k] = term(v)
      const value = context.focusNode.node([row.has('value') ? term(row.get('value')) : focus])
      context.violation(rdfDataModel.namedNode(SH + 'SPARQLConstraintComponent'), { args, message, value, source: sparql.terms })
    }
  }
}

const validator = new Validator(ontology, {
  factory: rdfDataModel,
  validations: new Map([[rdfDataModel.namedNode(SH + 'sparql'), compileSparql]])
})
const report = await validator.validate({ dataset: data })
const short = t => t ? t.value : undefined
const results = report.results.map(r => ({
  severity: short(r.severity).replace(SH, ''),
  focusNode: short(r.focusNode),
  path: r.path && r.path.length ? r.path.map(s => s.predicates.map(short).join('|')).join('/') : undefined,
  value: short(r.value),
  sourceShape: short(r.shape),
  constraint: short(r.constraintComponent),
  message: r.message.map(short)
}))
console.log(JSON.stringify({
  conforms: report.conforms && undefinedConcepts.size === 0,
  results,
  undefinedConcepts: [...undefinedConcepts].sort()
}, null, 1))
