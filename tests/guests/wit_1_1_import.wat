;; A component built against a version of the WIT package this host does
;; not bind (palisade:policy@1.1.0; sdk/ABI.md section 8): it imports that
;; version's types interface. Refused at load time, naming the version and
;; the supported one.
(component
  (import "palisade:policy/types@1.1.0" (instance))
)
