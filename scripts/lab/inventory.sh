# Writes inventories/lab.yml (gitignored) for this checkout and this lab. Sourced by scripts/lab.sh.

LAB_INVENTORY=$REPO/inventories/lab.yml

write_inventory() {
  mkdir -p "$(dirname "$LAB_INVENTORY")"
  cat >"$LAB_INVENTORY.tmp" <<YAML
# yaml-language-server: \$schema=../schemas/inventory.schema.json
# Written by scripts/lab.sh up for the lab under $LAB; rewritten on every up.
all:
  vars:
    registry: "$REGISTRY_ADDR"
  children:
    registries:
      hosts:
        registry1:
          ssh:
            host: 127.0.0.1
            port: $SSH_PORT
            user: root
            identity_file: $SSH_KEY
            known_hosts: $SSH_KNOWN_HOSTS
          registry_gc:
            before: "$REPO/scripts/lab.sh registry stop"
            command: "docker-registry garbage-collect $REGISTRY_CONFIG --delete-untagged"
            after: "$REPO/scripts/lab.sh registry start"
            data_dir: $REGISTRY_DIR/data
    builders:
      hosts:
        build1:
          docker:
            host: "unix://$(host_socket build1)"
    canary:
      hosts:
        web1:
          docker:
            host: "ssh://root@127.0.0.1:$SSH_PORT"
            socket: $(host_socket web1)
            identity_file: $SSH_KEY
            known_hosts: $SSH_KNOWN_HOSTS
    web:
      hosts:
        web2:
          docker:
            host: "unix://$(host_socket web2)"
        web3:
          docker:
            host: "unix://$(host_socket web3)"
YAML
  mv "$LAB_INVENTORY.tmp" "$LAB_INVENTORY"
}
