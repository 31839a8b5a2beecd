# shellcheck shell=bash
# What both test hosts' daemons start from (setup.sh for host 1, host2.sh for host 2).

# The preseed of a fresh daemon: a `dir` pool named default as the default profile's root disk, and
# no network (host 1's bridge is made apart; host 2 has none). ensure_btrfs_pool adds the btrfs pool.
dir_pool_preseed() {
  cat <<'PRESEED'
storage_pools:
- name: default
  driver: dir
profiles:
- name: default
  devices:
    root:
      path: /
      pool: default
      type: disk
PRESEED
}
