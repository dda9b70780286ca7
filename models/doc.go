// Package models holds the GORM structs and enumerations of Practica's data
// model. It is a leaf: it imports nothing of Practica's own, and holds no
// behaviour beyond small predicates on its types.
package models
