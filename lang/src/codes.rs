//! The language's diagnostic codes: syntax (E01xx), names and resolution (E02xx, W02xx),
//! types (E03xx), evaluation (E04xx) and the checks of `policy` blocks (E080x). Each
//! entry's documentation is what `docs/diagnostics.md` says about it (generated from the
//! catalogues by the engine's `diagnostics_doc` test).

crate::catalogue! {
    /// The parser met something it did not expect. The label says what it expected and what it
    /// found, in words ("expected `=` or `{`, found `"ami-0abc1234"`"); the help explains the
    /// shape of the construct when the mistake is a common one.
    ///
    /// ```aic
    /// resource aws_instance web {
    ///   ami "ami-0abc1234"          # expected `=` or `{`, found `"ami-0abc1234"`
    /// }
    /// let prefix "web"              # expected `=`, found `"web"`
    /// let same = 1 === 1            # expected an expression, found `=`
    /// resource aws_instance web     # expected `{` at the end of this line
    /// {
    /// ```
    ///
    /// Fix: write what the label asks for. The common cases:
    ///
    /// - an attribute needs `=`: `ami = "ami-0abc1234"`;
    /// - an attribute's value must start on the line of its `=` (`ami =` followed by a new line
    ///   is an error: the label points at the `=`);
    /// - a block's `{` stands on the same line as its kind and labels;
    /// - a `for` expression needs `:` before its value: `[for z in zones : "web-${z}"]`;
    /// - names use only ASCII letters, digits and `_`; an object key with other characters is
    ///   quoted: `{ "café" = "yes" }`.
    E0101: Error "Unexpected token";
    /// A `"…"` string runs to the end of its line without its closing quote.
    ///
    /// ```aic
    /// ami = "ami-123
    /// ```
    ///
    /// Fix: add the closing `"`. Strings do not span lines; for text over several lines use a
    /// heredoc (`<<-EOT … EOT`).
    E0102: Error "Unterminated string";
    /// A `/*` comment is never closed.
    ///
    /// ```aic
    /// /* this comment
    ///    is never closed
    /// let b = 2
    /// ```
    ///
    /// Fix: close it with `*/`. Block comments do not nest: the first `*/` ends the comment.
    E0103: Error "Unterminated block comment";
    /// Two attributes, list elements, object items or items stand on one line without a
    /// separator. Attributes and object items are separated by a new line or a comma, list
    /// elements and the fields of an object type by a comma (or a new line), and items by a new
    /// line. The label is on the token that should have been preceded by the separator.
    ///
    /// ```aic
    /// resource aws_instance web {
    ///   ami = "ami-123" instance_type = "t3.micro"
    /// }
    /// let zones = ["a" "b"]
    /// let a = 1 let b = 2
    /// ```
    ///
    /// Fix: add a comma (`ami = "ami-123", instance_type = "t3.micro"`, `["a", "b"]`) or break
    /// the line.
    E0104: Error "Missing separator";
    /// A top-level block or item starts with a word that is no item kind. The help suggests the
    /// closest kind when there is one.
    ///
    /// ```aic
    /// resouce aws_instance web {    # help: Did you mean `resource`?
    ///   ami = "ami-123"
    /// }
    /// ```
    ///
    /// Fix: use one of `variable`, `let`, `output`, `type`, `provider`, `resource`, `data`,
    /// `module`, `environment`, `rollout`, `policy`, `backend`, `import`, `moved`, `removed`.
    E0105: Error "Unknown item kind";
    /// A top-level block has too few or too many labels.
    ///
    /// | kind                                                   | labels            |
    /// |--------------------------------------------------------|-------------------|
    /// | `resource`, `data`                                     | `TYPE NAME`       |
    /// | `provider`                                             | `NAME [ALIAS]`    |
    /// | `module`, `environment`, `rollout`, `policy`           | `NAME`            |
    /// | `backend`                                              | `KIND`            |
    /// | `import`, `moved`, `removed`                           | none              |
    ///
    /// ```aic
    /// resource web { … }                      # `resource` takes 2 labels, found 1
    /// import legacy { to = aws_instance.x }   # `import` takes no labels, found 1
    /// ```
    ///
    /// Fix: write the block as the help shows (`resource TYPE NAME { … }`).
    E0106: Error "Wrong number of block labels";
    /// A backslash in a string is followed by a character that is not an escape.
    ///
    /// ```aic
    /// let path = "C:\temp\new\q"    # `\q` is not an escape
    /// ```
    ///
    /// Fix: the escapes are `\n \r \t \" \\` and `\u{HEX}`. Write `\\` for a backslash.
    E0107: Error "Invalid escape sequence";
    /// A heredoc's closing marker never comes.
    ///
    /// ```aic
    /// let script = <<EOT
    /// echo hello
    /// ```
    ///
    /// Fix: end the heredoc with a line holding only its marker (`EOT`); the marker may be
    /// indented.
    E0108: Error "Unterminated heredoc";
    /// A number that does not fit a 64-bit float (it would be infinite).
    ///
    /// ```aic
    /// let huge = 1e999
    /// ```
    ///
    /// Fix: use a smaller number; the largest is about `1.8e308`.
    E0109: Error "Invalid number";
    /// `|` joins something other than string literals. Unions are of string literals only.
    ///
    /// ```aic
    /// type Size = "small" | string
    /// ```
    ///
    /// Fix: `type Size = "small" | "large"`; for "a string or …", use `string`.
    E0110: Error "Invalid union type";
    /// A `{`, `[`, `(` or `${` is never closed. The label is on the opening delimiter; the
    /// secondary label shows where the file (or the item, during recovery) ends. When a closing
    /// brace further down is indented like an outer block, the diagnostic blames the inner
    /// block that lost its `}`, not the outer one.
    ///
    /// ```aic
    /// resource aws_instance web {
    ///   lifecycle {                 # this `{` is never closed
    ///     prevent_destroy = true
    /// }
    /// ```
    ///
    /// Fix: add the missing `}`, `]` or `)`; close an interpolation with `}` before the string's
    /// closing quote: `"web-${var.env}"`.
    E0111: Error "Unclosed delimiter";
    /// `\u{…}` names no Unicode scalar value: a surrogate (`D800`–`DFFF`) or a value above
    /// `10FFFF`.
    ///
    /// ```aic
    /// let smile = "\u{D800}"
    /// ```
    ///
    /// Fix: use the code point of a character, e.g. `\u{1F600}`.
    E0112: Error "Invalid Unicode escape";
    /// `${…}` in text that must be fixed: a block label, a string literal in a type, or a quoted
    /// key of an object type.
    ///
    /// ```aic
    /// resource aws_instance "web-${var.env}" { … }
    /// type Region = "us-${var.x}" | "eu-west-1"
    /// ```
    ///
    /// Fix: write plain text. To vary a resource per value, use `for_each` or `count`.
    E0113: Error "Interpolation not allowed here";
    /// `name = value` at the top level of a file.
    ///
    /// ```aic
    /// region = "us-east-1"
    /// ```
    ///
    /// Fix: to name a value write `let region = "us-east-1"`; for an input,
    /// `variable region: string = "us-east-1"`.
    E0114: Error "Attribute outside a block";
    /// A `}`, `]` or `)` that closes nothing, or that does not match the bracket still open.
    ///
    /// ```aic
    /// }                              # this `}` closes nothing
    /// let total = (1 + 2))
    /// let zones = ["a", "b")         # this `)` does not close the `[`
    /// ```
    ///
    /// Fix: remove the stray delimiter, or use the one that matches.
    E0115: Error "Unmatched closing delimiter";
    /// Brackets, braces, parentheses and `${` nest more than 64 deep, or one chain of operators
    /// or accesses (`a + b + …`, `a.b.c…`, `!!…`) holds more than 256. The parser and every
    /// later phase walk the tree recursively; the limit keeps them from exhausting the stack, and
    /// is far above what a configuration needs. Deep nesting is refused before parsing, so even
    /// 10,000 nested parentheses are reported at once.
    ///
    /// ```aic
    /// let matrix = [[[[ … 70 levels … ]]]]
    /// ```
    ///
    /// Fix: move inner parts into `let`s, or split a long chain (`let part1 = a + b + …`).
    E0116: Error "Nesting too deep";
    /// Two items of the same kind with the same name in one module (all its files count):
    /// variables, lets, outputs, types, resources, data sources, module calls, providers (the
    /// same `NAME` and `ALIAS`), environments, rollouts, policies. Items of different kinds may
    /// share a name (`variable region` and `let region`). A secondary label marks the first
    /// definition.
    ///
    /// ```aic
    /// let a = 1
    /// let a = 2                     # let `a` is defined again here
    /// resource null_resource x {}
    /// resource null_resource x {}   # resource `null_resource.x` is defined again here
    /// ```
    ///
    /// Fix: rename or remove one of them.
    E0201: Error "Duplicate definition";
    /// A warning: a value was given (`--var`, `--var-file`, `AIC_VAR_*`) for a variable the
    /// root module does not declare. The help suggests the closest declared name. The value is
    /// ignored.
    W0201: Warning "Value for undeclared variable";
    /// A name nothing defines: a bare name that is no `let`, no resource type and none of
    /// `var`, `env`, `each`, `count`, `self`, `path`, `rollout`, `data`, `module`, or
    /// `var.NAME` for a variable the module does not declare. The label says which; the help
    /// suggests the closest name, or how to declare it.
    ///
    /// ```aic
    /// let prefix = "aic"
    /// variable region: string = "us-east-1"
    ///
    /// resource local_file f {
    ///   filename = "out/${prefx}.txt"   # `prefx` is not defined (Did you mean `prefix`?)
    ///   content  = var.regoin           # there is no variable `regoin` (Did you mean `region`?)
    /// }
    /// ```
    ///
    /// The same code is reported when a value that must be constant reads a name: an
    /// environment attribute or a root variable's default ("`x` cannot be used here"), or a
    /// value given with `--var`, `--var-file` or `AIC_VAR_*` ("`x` cannot be used in a variable
    /// value"), or a `backend` setting ("`x` cannot be used in a backend setting").
    ///
    /// Fix: correct the spelling, or declare the name (`let NAME = …`, `variable NAME: TYPE`).
    /// In constant places write a literal value.
    E0202: Error "Unknown name";
    /// `TYPE.NAME` names a resource type a provider offers (or one this module uses) but no
    /// resource of this module; `data.TYPE.NAME` names no data source of this module. A
    /// resource type without a name (`aws_instance` alone) and `data.TYPE` without a name are
    /// also E0203.
    ///
    /// ```aic
    /// resource random_id suffix {
    ///   byte_length = 4
    /// }
    ///
    /// resource local_file f {
    ///   filename = "out/${random_id.sufix.hex}.txt"   # help: Did you mean `suffix`?
    ///   content  = "x"
    /// }
    /// ```
    ///
    /// Fix: name a declared resource (`TYPE.NAME`, `data.TYPE.NAME`). Resources of a called
    /// module are read through its outputs (`module.NAME.OUTPUT`).
    E0203: Error "Unknown resource";
    /// A call of a function that does not exist. The help suggests the closest name.
    ///
    /// ```aic
    /// let names = jion(["a", "b"], ",")   # there is no function `jion` — Did you mean `join`?
    /// ```
    ///
    /// Fix: see the list of functions in [language.md](language.md).
    E0204: Error "Unknown function";
    /// Something depends on itself: a cycle of `let`s, of module calls (through their
    /// arguments and outputs), of resources (through references or `depends_on`), or a named
    /// type that refers to itself. The label is on the first item of the cycle, secondary
    /// labels on the others, and the help spells out the whole cycle.
    ///
    /// ```aic
    /// let a = b + 1    # `let a` depends on itself
    /// let b = c * 2    # through `let b`
    /// let c = a        # through `let c`
    /// ```
    ///
    /// When planning, a cycle among resource instances (say, instances of a counted resource
    /// reading each other) is also E0207, without a span; the help lists the nodes.
    ///
    /// Fix: remove one of the references of the cycle.
    E0207: Error "Reference cycle";
    /// A resource's `provider` attribute is neither `NAME` nor `NAME.ALIAS`.
    ///
    /// ```aic
    /// resource local_file f {
    ///   provider = "local.eu"   # expected `NAME` or `NAME.ALIAS`
    /// }
    /// ```
    ///
    /// Fix: write the reference without quotes: `provider = local.eu` uses the configuration
    /// `provider local eu { … }`.
    E0208: Error "Invalid provider reference";
    /// A resource sets both `count` and `for_each`.
    ///
    /// ```aic
    /// resource null_resource x {
    ///   count    = 2
    ///   for_each = toset(["a"])   # `for_each` cannot be combined with `count`
    /// }
    /// ```
    ///
    /// Fix: keep one: `count` for N identical instances, `for_each` for one instance per key.
    E0209: Error "Both count and for_each";
    /// A module's `source` is not a literal string: an expression, or a string with `${…}`.
    ///
    /// ```aic
    /// module web {
    ///   source = "./modules/${var.kind}"
    /// }
    /// ```
    ///
    /// Fix: write the source as a literal string (`"./modules/web"`, `"std:regional"`). Modules
    /// are loaded before anything is evaluated.
    E0210: Error "Module source is not a string";
    /// A `module` block has no `source`.
    ///
    /// Fix: add `source = "./path"` (relative to the calling module's directory) or
    /// `source = "std:NAME"`.
    E0211: Error "Missing module source";
    /// The directory a module's `source` names does not exist or holds no `.aic` files.
    ///
    /// ```aic
    /// module web {
    ///   source = "./modules/nope"   # no .aic module at ./modules/nope
    /// }
    /// ```
    ///
    /// Fix: local sources are relative to the calling module's directory; `std:NAME` sources
    /// are the directories under `stdlib/modules` of the installation.
    E0212: Error "Module source not found";
    /// A module's `source` leads back to a module that is already being loaded: it calls
    /// itself, directly or through other modules.
    ///
    /// Fix: break the loop of module sources.
    E0213: Error "Module calls itself";
    /// `.NAME` reads an attribute a value does not have: an object without that attribute
    /// (also a resource attribute its schema does not declare), or a value that has no
    /// attributes at all ("a string has no attributes"). The help suggests the closest
    /// attribute or lists the available ones.
    ///
    /// ```aic
    /// let settings = { port = 80 }
    /// let p = settings.prot    # this object has no attribute `prot` (Did you mean `port`?)
    /// ```
    ///
    /// An optional attribute left out of a root variable's object value is not filled in, so
    /// reading it is E0214 too (see [language.md](language.md)).
    ///
    /// Fix: correct the name; guard a read that may fail with `try(x.attr, default)`. A key a
    /// map lacks, read as `m.k` or `m["k"]`, is E0402.
    E0214: Error "Unsupported attribute";
    /// `each` is used in a block without `for_each`.
    ///
    /// ```aic
    /// resource local_file f {
    ///   filename = "out/${each.key}.txt"   # `each` is only defined in a block with `for_each`
    ///   content  = "x"
    /// }
    /// ```
    ///
    /// Fix: add `for_each` to the block, or use `count.index` in a counted block.
    E0215: Error "each outside for_each";
    /// `count` (as in `count.index`) is used in a block without `count`.
    ///
    /// ```aic
    /// resource local_file f {
    ///   filename = "out/${count.index}.txt"   # only defined in a block with `count`
    ///   content  = "x"
    /// }
    /// ```
    ///
    /// Fix: add `count` to the block, or use `each.key` in a block with `for_each`.
    E0216: Error "count outside a counted block";
    /// `self` is used where it means nothing. It is the variable's value in a `validate`
    /// block and the resource instance in a policy's `assert` and `message`.
    ///
    /// ```aic
    /// let x = self.id
    /// ```
    ///
    /// Fix: refer to the value by its name (`var.NAME`, `TYPE.NAME`).
    E0217: Error "self outside its blocks";
    /// `module.NAME` names no module call of this module, or `module` stands alone.
    ///
    /// ```aic
    /// output x = module.nothere.value   # there is no module `nothere` here
    /// ```
    ///
    /// Fix: name a declared `module` block; the help suggests the closest.
    E0218: Error "Unknown module";
    /// `module.NAME.OUTPUT` reads an output the called module does not declare (checked for
    /// module calls without `count` or `for_each`; reading a missing output of one instance,
    /// `module.NAME[0].OUTPUT`, is E0214).
    ///
    /// ```aic
    /// module web {
    ///   source = "./modules/web"
    /// }
    /// output endpoint = module.web.endpiont   # help: Did you mean `endpoint`?
    /// ```
    ///
    /// Fix: use an output the module declares, or add `output OUTPUT = …` to it.
    E0219: Error "Unknown module output";
    /// The configuration declares environments and none was chosen. The help lists the
    /// declared ones. No span.
    ///
    /// Fix: pass `--env NAME` or set `AIC_ENV`.
    E0220: Error "No environment selected";
    /// The selected environment is not declared (when no environment is declared, only
    /// `default` exists). The help lists the declared environments and the closest name. No
    /// span.
    ///
    /// ```aic
    /// # aic validate --env prod
    /// environment production {       # help: `prod` is not declared. Did you mean `production`?
    ///   regions = ["us-east-1"]
    /// }
    /// ```
    E0221: Error "Unknown environment";
    /// Root variables without a default received no value. All of them are reported in one
    /// diagnostic, with a label on each.
    ///
    /// ```aic
    /// variable region: string          # `region` has no default and no value
    /// variable zone: string            # `zone` has no default and no value
    /// variable replicas: number = 2
    /// ```
    ///
    /// Fix: give values with `--var NAME=VALUE`, `--var-file FILE`, `AIC_VAR_NAME`, or the
    /// environment's `vars` block; or give the variables defaults.
    E0222: Error "Missing required variables";
    /// A variable's `validate` block has no `condition`.
    ///
    /// ```aic
    /// variable replicas: number = 2 {
    ///   validate {
    ///     message = "must be positive"   # a `validate` block needs `condition`
    ///   }
    /// }
    /// ```
    ///
    /// Fix: `validate { condition = self >= 1, message = "…" }`.
    E0223: Error "Incomplete validate block";
    /// A `validate` condition is false for the variable's value. The label is the block's
    /// `message` (or "the value of `NAME` is not valid"); a secondary label marks the variable.
    /// Every failing block is reported.
    ///
    /// ```aic
    /// variable replicas: number = 40 {
    ///   validate {
    ///     condition = self >= 1 && self <= 20        # replicas must be between 1 and 20, got 40
    ///     message   = "replicas must be between 1 and 20, got ${self}"
    ///   }
    /// }
    /// ```
    ///
    /// Fix: give a value that satisfies the condition.
    E0224: Error "Variable validation failed";
    /// A type name that is not `string`, `number`, `bool`, `any` or a `type` of this module. The
    /// help suggests the closest or lists the declared types.
    ///
    /// ```aic
    /// type Tier = object({ name: string, size: number })
    /// variable tier: Teir = { name = "web", size = 2 }   # help: Did you mean `Tier`?
    /// ```
    E0225: Error "Unknown type";
    /// `optional(T)` marks an attribute of an object type and is used anywhere else.
    ///
    /// ```aic
    /// variable name: optional(string)
    /// ```
    ///
    /// Fix: use it inside an object type, `object({ name: optional(string) })`; a variable is
    /// made optional by giving it a default.
    E0226: Error "optional() outside an object type";
    /// A `provider NAME { … }` block names no provider aic has.
    ///
    /// ```aic
    /// provider locl { }   # there is no provider `locl`
    /// ```
    ///
    /// Fix: use a provider's name (see [providers/](providers/)).
    E0227: Error "Unknown provider";
    /// A `resource` or `data` block's type is offered by no provider (also an entry of a
    /// policy's `resources`). The help suggests the closest type.
    ///
    /// ```aic
    /// resource local_fiel f {      # help: Did you mean `local_file`?
    ///   filename = "out/x.txt"
    /// }
    /// ```
    E0228: Error "Unknown resource type";
    /// A resource's `provider = NAME.ALIAS` names an alias this module does not configure.
    ///
    /// ```aic
    /// resource local_file f {
    ///   filename = "out/x.txt"
    ///   content  = "x"
    ///   provider = local.eu   # there is no `provider local eu` in this module
    /// }
    /// ```
    ///
    /// Fix: declare it, `provider local eu { … }`, or remove the `provider` attribute.
    E0229: Error "Unknown provider configuration";
    /// A resource, data source or provider configuration sets an attribute its schema does
    /// not have. The help suggests the closest name or lists the attributes. The
    /// meta-arguments `count`, `for_each`, `depends_on`, `provider` and `lifecycle` are always
    /// accepted in resources and data sources.
    ///
    /// ```aic
    /// resource local_file motd {
    ///   filename = "out/motd.txt"
    ///   contnet  = "hello"   # help: Did you mean `content`?
    /// }
    /// ```
    ///
    /// A nested block the schema does not have is E0237.
    E0230: Error "Unknown attribute";
    /// A block lacks required attributes or required nested blocks; all are named in one
    /// label on the block's `{`.
    ///
    /// ```aic
    /// resource local_file motd {   # resource `local_file.motd` needs `filename`
    ///   content = "hello"
    /// }
    /// ```
    E0231: Error "Missing required attribute";
    /// The configuration sets an attribute only the provider computes.
    ///
    /// ```aic
    /// resource random_id suffix {
    ///   byte_length = 4
    ///   hex         = "ab12"   # `hex` is computed by the provider and cannot be set
    /// }
    /// ```
    ///
    /// Fix: remove it; read it from the resource instead (`random_id.suffix.hex`).
    E0232: Error "Computed attribute set";
    /// A module block passes an argument for a variable the called module does not declare.
    ///
    /// ```aic
    /// module web {
    ///   source = "./modules/web"
    ///   regoin = "eu"   # module `web` has no variable `regoin` — Did you mean `region`?
    /// }
    /// ```
    E0233: Error "Unknown module argument";
    /// A module block passes no value for some variables of the called module that have no
    /// default; all are named in one label.
    ///
    /// ```aic
    /// module web {                 # module `web` needs `replicas`
    ///   source = "./modules/web"
    /// }
    /// ```
    ///
    /// Fix: pass a value for each, or give the variables defaults in the module.
    E0234: Error "Missing module argument";
    /// An output's value is derived from a sensitive value (a variable with
    /// `sensitive = true`) and the output is not marked sensitive.
    ///
    /// ```aic
    /// variable password: string = "hunter2" {
    ///   sensitive = true
    /// }
    /// output password = "pw: ${var.password}"   # this value is derived from a sensitive value
    /// ```
    ///
    /// Fix: if exposing it is intended, mark the output:
    /// `output password = … { sensitive = true }`.
    E0235: Error "Output refers to sensitive values";
    /// `env.NAME` reads an attribute the selected environment does not declare (`env.name`
    /// and `env.protected` always exist).
    ///
    /// ```aic
    /// environment development {
    ///   regions = ["local"]
    /// }
    /// environment production {
    ///   regions  = ["us-east-1"]
    ///   replicas = 3
    /// }
    /// # aic validate --env development
    /// let replicas = env.replicas          # environment `development` has no attribute `replicas`
    /// let guarded  = try(env.replicas, 1)  # fine
    /// ```
    ///
    /// Fix: declare the attribute in every environment, or guard the read with
    /// `try(env.NAME, DEFAULT)`.
    E0236: Error "Environment attribute missing";
    /// A resource, data source or provider configuration has a nested block its schema does
    /// not have. The help suggests the closest block name or lists the blocks it may hold.
    ///
    /// ```aic
    /// resource aws_security_group web {
    ///   name = "web"
    ///   ingres {        # help: Did you mean `ingress`?
    ///     from_port = 443
    ///   }
    /// }
    /// ```
    ///
    /// Fix: correct the block's name, or remove it. An unknown attribute is E0230.
    E0237: Error "Unknown block";
    /// A resource's `count` or `for_each`, or a module call's `for_each`, depends on a value
    /// known only after apply (a resource attribute). A secondary label marks the reference
    /// that is unknown.
    ///
    /// ```aic
    /// resource random_integer n {
    ///   min = 1
    ///   max = 5
    /// }
    /// resource null_resource x {
    ///   count = random_integer.n.result   # `count` depends on a value known only after apply
    /// }
    /// ```
    ///
    /// Fix: compute `count` and `for_each` from variables, lets and environment attributes.
    E0240: Error "Expansion not known before apply";
    /// A value is not of the type its place requires. The label says what was expected and
    /// what was found, with the path inside the value when the mismatch is deep ("expected
    /// string, found number at `tags.owner`"); the help usually says where the type comes from.
    /// It is reported for:
    ///
    /// - a variable's value (its default or a given value) that does not fit the variable's
    ///   declared type, including a string that is not one of a union's strings;
    /// - a resource, data source or provider attribute whose value does not fit the provider
    ///   schema's type;
    /// - a module argument that does not fit the called module's variable;
    /// - a resource's `count` that is not a whole number ≥ 0, and a `for_each` that is not a map
    ///   or a set (or list) of strings;
    /// - an operand of the wrong type: arithmetic, comparisons and unary `-` take numbers,
    ///   `&&`, `||` and `!` take bools; a conditional's condition and a `for`'s `if` must be
    ///   bools;
    /// - a `for` over something other than a list, set, map or object; `...` after something
    ///   other than a list, tuple or set; indexing a value that cannot be indexed (a set, a
    ///   string) or with the wrong kind of index (a list needs a number);
    /// - a policy whose `assert` is not a bool, whose `message`, `level`, `query` or `rego` is
    ///   not a string, or whose `resources` is not a list of type names.
    ///
    /// ```aic
    /// type Region = "us-east-1" | "eu-west-1"
    /// variable region: Region = "mars-1"       # "mars-1" is not one of "us-east-1", "eu-west-1"
    /// variable replicas: number = "two"        # expected number, found string
    ///
    /// resource random_id suffix {
    ///   byte_length = "four"                   # expected number, found string
    /// }
    /// resource null_resource x {
    ///   for_each = 3                           # takes a map or a set of strings, found number
    /// }
    ///
    /// let n    = "3" + 1                       # expected number, found string
    /// let pick = var.region ? "a" : "b"        # expected bool, found string
    /// ```
    ///
    /// Fix: give a value of the expected type. There are no implicit conversions: convert
    /// explicitly (`tonumber(…)`, `tostring(…)`, `toset(…)`), and compare explicitly in
    /// conditions (`x != ""`).
    E0301: Error "Type mismatch";
    /// `${…}` in a string holds a value that is not a string, number or bool: `null`, a list,
    /// tuple, set, map or object (also one not known before apply).
    ///
    /// ```aic
    /// let zones = ["a", "b"]
    /// let text  = "zones: ${zones}"   # a value of type tuple([string, string]) cannot be
    ///                                 # converted to a string
    /// ```
    ///
    /// Fix: interpolate a string, number or bool: `join(", ", zones)`, `jsonencode(…)`, or
    /// `x ?? ""` for a value that may be null.
    E0302: Error "Cannot interpolate value";
    /// `for_each` is a sensitive value, or is derived from one. Its keys would appear in
    /// instance addresses, plans and logs.
    ///
    /// ```aic
    /// resource null_resource n {
    ///   for_each = var.secret_names   # a variable with `sensitive = true`
    /// }
    /// ```
    ///
    /// Fix: build `for_each` from values that are not sensitive.
    E0305: Error "Invalid for_each argument";
    /// A list index that is negative, not a whole number, or not less than the list's length.
    ///
    /// ```aic
    /// let zones  = ["a", "b", "c"]
    /// let fourth = zones[3]   # index 3 is out of range for a list of 3 element(s)
    /// ```
    ///
    /// Fix: check the length first (`length(zones)`), or use `try(zones[3], default)`.
    E0401: Error "Index out of range";
    /// `m["KEY"]` on a map or object without that key. The help suggests the closest key or
    /// lists the keys.
    ///
    /// ```aic
    /// let sizes = { small = 1, large = 3 }
    /// let pick  = sizes["medium"]   # there is no key "medium"
    /// ```
    ///
    /// Fix: use an existing key, or `lookup(…)` / `try(sizes["medium"], default)` for a key
    /// that may be missing. Reading a missing key with `.KEY` is E0214.
    E0402: Error "Missing key";
    /// The right operand of `/` or `%` is zero.
    ///
    /// ```aic
    /// let zero  = 0
    /// let ratio = 10 / zero   # this is zero
    /// ```
    ///
    /// Fix: guard the division: `zero == 0 ? 0 : 10 / zero`.
    E0403: Error "Division by zero";
    /// A function refused its arguments: too few or too many, an argument of the wrong type
    /// (the message names the parameter), or a value the function cannot handle. The label is
    /// on the argument at fault when there is one, and starts with the function's name.
    /// `templatefile` reports an error inside the template this way, with its line and column
    /// in the template.
    ///
    /// ```aic
    /// let subnet = cidrsubnet("10.0.0.0/33", 8, 1)
    /// # cidrsubnet: "10.0.0.0/33" is not a prefix in CIDR notation (such as "10.0.0.0/16")
    /// ```
    ///
    /// Fix: see the function's signature in [language.md](language.md).
    E0404: Error "Function call failed";
    /// A `null` value is read as an object (`x.attr`), indexed (`x[0]`) or iterated by a `for`.
    /// (`[*]` on `null` gives `[]` and is no error.)
    ///
    /// ```aic
    /// let nothing = null
    /// let x = nothing.name   # cannot read `name` of a null value
    /// ```
    ///
    /// Fix: guard it: `x != null ? x.attr : default`, `try(x.attr, default)`, or `x ?? []` before
    /// iterating.
    E0405: Error "Use of null";
    /// An object `for` expression produces the same key twice.
    ///
    /// ```aic
    /// let names = ["a", "b", "a"]
    /// let m = { for n in names : n => upper(n) }   # the key "a" is produced more than once
    /// ```
    ///
    /// Fix: make keys unique, or add `...` after the value to group the values of each key
    /// into a list: `{ for n in names : n => upper(n)... }`.
    E0406: Error "Duplicate key in for expression";
    /// A policy block takes `resources`, `assert`, `message`, `level`, `rego` and `query`, and no
    /// nested blocks. `resources` and `message` belong to native (`assert`) policies only.
    ///
    /// ```aic
    /// policy owner {
    ///   assert = true
    ///   levels = "error"        # did you mean `level`?
    /// }
    /// ```
    ///
    /// Fix: use one of the listed attributes; the help suggests the closest.
    E0801: Error "Unknown policy attribute";
    /// A policy needs exactly one rule: `assert = EXPR` (checked on each planned resource) or
    /// `rego = file("x.rego")` (checked on the whole plan). Neither, or both, is an error.
    ///
    /// Fix: add the rule, or split a block that has both into two policies.
    E0802: Error "Policy without a rule";
    /// `level` is `"error"` (a violation fails `aic plan` and blocks `aic apply`) or `"warning"`
    /// (reported only).
    ///
    /// ```aic
    /// policy owner {
    ///   assert = true
    ///   level  = "warn"         # did you mean "warning"?
    /// }
    /// ```
    E0803: Error "Unknown policy level";
}
