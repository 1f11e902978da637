;; A component that imports an interface outside WASI 0.2's sandboxable set
;; (wasi:http, outgoing HTTP): refused at load time, naming the import, before
;; anything is linked or run.
(component
  (import "wasi:http/types@0.2.0" (instance
    (export "fields" (type (sub resource)))
  ))
)
